package main

import "time"

// reloadRecorded reloads the configuration file and records the outcome in
// synthesisvr_exporter_config_last_reload_successful, which an alert reads: a
// failed reload keeps the previous configuration, silently but for the log.
// Without a file there is nothing to reload, and nothing is recorded.
func (a *app) reloadRecorded() error {
	err := a.reload()
	if a.f.configFile != "" {
		a.reloads.Reloaded(err, time.Now())
	}
	return err
}
