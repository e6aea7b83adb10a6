package deploy_test

import (
	"context"
	"maps"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"go.yaml.in/yaml/v3"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/config"
)

const composeDir = "deploy/compose"

// composeProjects are the two ways to run the stack, as their files are given to
// `docker compose -f ... up`.
var composeProjects = map[string][]string{
	"demo": {"compose.yml"},
	"ha":   {"compose.yml", "compose.ha.yml"},
}

// loadCompose loads compose files with the Compose specification's reference loader
// (the one of `docker compose`): it validates them against the schema, merges them,
// interpolates and reads the env files.
func loadCompose(t *testing.T, files []string) *types.Project {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join(root, composeDir))
	if err != nil {
		t.Fatal(err)
	}
	paths := make([]string, len(files))
	for i, f := range files {
		paths[i] = filepath.Join(dir, f)
	}
	opts, err := cli.NewProjectOptions(paths, cli.WithWorkingDirectory(dir), cli.WithConsistency(true))
	if err != nil {
		t.Fatal(err)
	}
	p, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatalf("docker compose -f %s config: %v", strings.Join(files, " -f "), err)
	}
	return p
}

func TestCompose(t *testing.T) {
	for name, files := range composeProjects {
		t.Run(name, func(t *testing.T) {
			p := loadCompose(t, files)
			for _, want := range []string{"exporter", "simulator", "prometheus", "alertmanager", "grafana", "jaeger"} {
				if _, ok := p.Services[want]; !ok {
					t.Errorf("no service %s", want)
				}
			}
			for _, s := range p.Services {
				checkComposeService(t, p, s)
			}
			checkPrometheus(t, p)
			checkAlertmanager(t, p)
			checkGrafana(t, p)
			for _, s := range p.Services {
				if s.Image == "synthesisvr_exporter:dev" {
					checkHardened(t, s)
				}
				if s.Image == "synthesisvr_exporter:dev" && s.Name != "simulator" {
					checkComposeExporter(t, p, s)
				}
			}
			checkSimulator(t, p)
			if name == "ha" {
				checkHA(t, p)
			}
		})
	}
}

// checkComposeService checks what every service must get right: mounts of files that
// exist in the repository, read-only; ports on loopback only; a build context that
// exists.
func checkComposeService(t *testing.T, p *types.Project, s types.ServiceConfig) {
	t.Helper()
	repo, _ := filepath.Abs(root)
	for _, v := range s.Volumes {
		if v.Type != types.VolumeTypeBind {
			continue
		}
		if _, err := os.Stat(v.Source); err != nil {
			t.Errorf("%s: mounts %s, which does not exist: %v", s.Name, v.Source, err)
		}
		if rel, err := filepath.Rel(repo, v.Source); err != nil || strings.HasPrefix(rel, "..") {
			t.Errorf("%s: mounts %s, outside the repository", s.Name, v.Source)
		}
		if !v.ReadOnly {
			t.Errorf("%s: mounts %s writable: the demo never writes into the repository", s.Name, v.Source)
		}
	}
	for _, port := range s.Ports {
		if port.HostIP != "127.0.0.1" {
			t.Errorf("%s: publishes port %d on %q: publish on 127.0.0.1 only, the demo is not to be reached from elsewhere", s.Name, port.Target, port.HostIP)
		}
	}
	if b := s.Build; b != nil {
		if _, err := os.Stat(filepath.Join(b.Context, b.Dockerfile)); err != nil {
			t.Errorf("%s: builds %s: %v", s.Name, b.Dockerfile, err)
		}
	}
}

// hostPath returns the file of the repository mounted at path in the service's
// container, or "" when none is.
func hostPath(s types.ServiceConfig, path string) string {
	best := types.ServiceVolumeConfig{}
	for _, v := range s.Volumes {
		if v.Type != types.VolumeTypeBind || len(v.Target) <= len(best.Target) {
			continue
		}
		if path == v.Target || strings.HasPrefix(path, strings.TrimSuffix(v.Target, "/")+"/") {
			best = v
		}
	}
	if best.Target == "" {
		return ""
	}
	return filepath.Join(best.Source, strings.TrimPrefix(path, best.Target))
}

// mustHostPath is hostPath, failing when nothing is mounted there.
func mustHostPath(t *testing.T, s types.ServiceConfig, path string) string {
	t.Helper()
	h := hostPath(s, path)
	if h == "" {
		t.Fatalf("%s: nothing of the repository is mounted at %s", s.Name, path)
	}
	return h
}

// checkService fails when addr (a URL or host:port) does not name a service of the project.
func checkService(t *testing.T, p *types.Project, where, addr string) {
	t.Helper()
	host := addr
	if u, err := url.Parse(addr); err == nil && u.Host != "" {
		host = u.Host
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if _, ok := p.Services[host]; !ok && host != "localhost" {
		t.Errorf("%s: %s is not a service of the project", where, addr)
	}
}

// checkComposeExporter checks an exporter's command line against the exporter, its
// config file with the exporter's own loader, its token, and where it sends traces.
// checkHardened checks that a container of the exporter's image runs as in
// production: read-only root, no capabilities, no-new-privileges.
func checkHardened(t *testing.T, s types.ServiceConfig) {
	t.Helper()
	if !s.ReadOnly || !slices.Contains(s.CapDrop, "ALL") || !slices.Contains(s.SecurityOpt, "no-new-privileges:true") {
		t.Errorf("%s: read_only %v, cap_drop %v, security_opt %v; want read_only, cap_drop ALL and no-new-privileges:true",
			s.Name, s.ReadOnly, s.CapDrop, s.SecurityOpt)
	}
}

func checkComposeExporter(t *testing.T, p *types.Project, s types.ServiceConfig) {
	t.Helper()
	if bin, ok := command(t, "synthesisvr_exporter"); ok {
		checkFlags(t, s.Name, bin, s.Command)
	}
	cfg := mustHostPath(t, s, flagValue(s.Command, "--config.file"))
	if _, err := config.Load(cfg); err != nil {
		t.Errorf("%s: %v", s.Name, err)
	}
	if !strings.HasPrefix(flagValue(s.Command, "--storage.path"), "/var/lib/synthesisvr_exporter/") ||
		!slices.ContainsFunc(s.Volumes, func(v types.ServiceVolumeConfig) bool {
			return v.Type == types.VolumeTypeVolume && v.Target == "/var/lib/synthesisvr_exporter"
		}) {
		t.Errorf("%s: --storage.path should be on a named volume at the image's /var/lib/synthesisvr_exporter", s.Name)
	}
	tok := s.Environment["SYNTHESISVR_WEBHOOK_TOKEN"]
	if tok == nil || config.ValidateToken(*tok) != nil {
		t.Errorf("%s: SYNTHESISVR_WEBHOOK_TOKEN is missing or not a token the exporter accepts", s.Name)
	}
	if ep := s.Environment["OTEL_EXPORTER_OTLP_ENDPOINT"]; ep == nil {
		t.Errorf("%s: tracing is off (no OTEL_EXPORTER_OTLP_ENDPOINT)", s.Name)
	} else {
		checkService(t, p, s.Name+": OTEL_EXPORTER_OTLP_ENDPOINT", *ep)
	}
}

// checkSimulator checks that the simulator posts to a service of the project, with
// the exporters' token, and, once the repository has it, that it takes its flags.
func checkSimulator(t *testing.T, p *types.Project) {
	t.Helper()
	s := p.Services["simulator"]
	checkService(t, p, "simulator: --exporter.url", flagValue(s.Command, "--exporter.url"))
	if tok, ex := s.Environment["SYNTHESISVR_WEBHOOK_TOKEN"], p.Services["exporter"].Environment["SYNTHESISVR_WEBHOOK_TOKEN"]; tok == nil || ex == nil || *tok != *ex {
		t.Error("simulator: it does not have the exporter's token")
	}
	if len(s.Entrypoint) != 1 || s.Entrypoint[0] != "/bin/synthesisvr_simulator" {
		t.Errorf("simulator: entrypoint %q, want the image's /bin/synthesisvr_simulator", s.Entrypoint)
	}
	bin, ok := command(t, "synthesisvr_simulator")
	if !ok {
		t.Log("cmd/synthesisvr_simulator is not in this tree yet: the simulator's flags are not checked")
		return
	}
	checkFlags(t, "simulator", bin, s.Command)
}

// checkPrometheus lays out Prometheus's files as its container sees them, runs the
// start-up command's rule rewriting with the real sed, and checks the whole with
// promtool check config (which also checks the rule files it loads).
func checkPrometheus(t *testing.T, p *types.Project) {
	t.Helper()
	s := p.Services["prometheus"]
	const etc = "/etc/prometheus"
	dir := t.TempDir()
	for _, v := range s.Volumes {
		if v.Type == types.VolumeTypeBind && strings.HasPrefix(v.Target, etc+"/") {
			writeFile(t, filepath.Join(dir, strings.TrimPrefix(v.Target, etc)), readAbs(t, v.Source))
		}
	}
	for _, tmp := range s.Tmpfs {
		if err := os.MkdirAll(filepath.Join(dir, strings.TrimPrefix(tmp, etc)), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// The command is "sed ... > rules && exec /bin/prometheus ...": run its first part.
	if len(s.Entrypoint) != 2 || s.Entrypoint[0] != "/bin/sh" || len(s.Command) != 1 {
		t.Fatalf("prometheus: want entrypoint [/bin/sh -c] and one shell command, got %q %q", s.Entrypoint, s.Command)
	}
	prep, start, ok := strings.Cut(s.Command[0], "&&")
	if !ok || !strings.Contains(start, "--config.file="+etc+"/prometheus.yml") {
		t.Fatalf("prometheus: unexpected command %q", s.Command[0])
	}
	if out, err := runTool(t, dir, "sh", "-c", strings.ReplaceAll(prep, etc, dir)); err != nil {
		t.Fatalf("prometheus: %s: %v: %s", prep, err, out)
	}
	rules := readAbs(t, filepath.Join(dir, "demo-rules/synthesisvr.rules.yml"))
	checkDemoRules(t, readFile(t, "alerts/synthesisvr.rules.yml"), rules)

	promtool := lookTool(t, "promtool", "prometheus")
	out, err := runTool(t, dir, promtool, "check", "config", "prometheus.yml")
	if err != nil {
		t.Errorf("promtool check config: %v\n%s", err, out)
	} else if !regexp.MustCompile(`Checking demo-rules/synthesisvr.rules.yml\s+SUCCESS: [1-9]\d* rules found`).MatchString(out) {
		t.Errorf("promtool check config did not check the alert rules:\n%s", out)
	}
	// The scrape targets are services of the project.
	var groups []struct {
		Targets []string `yaml:"targets"`
	}
	if err := yaml.Unmarshal(readAbs(t, filepath.Join(dir, "targets/synthesisvr.yml")), &groups); err != nil || len(groups) == 0 {
		t.Fatalf("prometheus: targets/synthesisvr.yml: %v", err)
	}
	for _, g := range groups {
		for _, target := range g.Targets {
			checkService(t, p, "prometheus: target", target)
		}
	}
}

// checkDemoRules checks that the demo changes nothing of the rules but their "for:",
// which becomes 1m.
func checkDemoRules(t *testing.T, orig, demo []byte) {
	t.Helper()
	a, b := strings.Split(string(orig), "\n"), strings.Split(string(demo), "\n")
	if len(a) != len(b) {
		t.Fatalf("prometheus: the demo rules have %d lines, the rules %d", len(b), len(a))
	}
	forLine := regexp.MustCompile(`^(\s*for:\s*)\S+\s*$`)
	changed := 0
	for i := range a {
		if m := forLine.FindStringSubmatch(a[i]); m != nil {
			if b[i] != m[1]+"1m" {
				t.Errorf("prometheus: demo rules line %d: %q, want %q", i+1, b[i], m[1]+"1m")
			}
			changed++
		} else if a[i] != b[i] {
			t.Errorf("prometheus: demo rules line %d changed: %q became %q", i+1, a[i], b[i])
		}
	}
	if changed == 0 {
		t.Error("prometheus: no rule has a for: the demo would have to shorten")
	}
}

// checkAlertmanager runs amtool check-config on the config Alertmanager is started with.
func checkAlertmanager(t *testing.T, p *types.Project) {
	t.Helper()
	s := p.Services["alertmanager"]
	cfg := mustHostPath(t, s, flagValue(s.Command, "--config.file"))
	amtool := lookTool(t, "amtool", "prometheus-alertmanager")
	if out, err := runTool(t, ".", amtool, "check-config", cfg); err != nil {
		t.Errorf("amtool check-config: %v\n%s", err, out)
	}
	var prom struct {
		Alerting struct {
			Alertmanagers []struct {
				StaticConfigs []struct {
					Targets []string `yaml:"targets"`
				} `yaml:"static_configs"`
			} `yaml:"alertmanagers"`
		} `yaml:"alerting"`
	}
	ps := p.Services["prometheus"]
	if err := yaml.Unmarshal(readAbs(t, mustHostPath(t, ps, "/etc/prometheus/prometheus.yml")), &prom); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, am := range prom.Alerting.Alertmanagers {
		for _, sc := range am.StaticConfigs {
			for _, target := range sc.Targets {
				checkService(t, p, "prometheus: alertmanager", target)
				n++
			}
		}
	}
	if n == 0 {
		t.Error("prometheus sends its alerts to no Alertmanager")
	}
}

// checkGrafana checks the provisioning Grafana is given: the repository's data
// source and dashboard provider, whose folder holds the dashboards, and data sources
// that point at services of the project.
func checkGrafana(t *testing.T, p *types.Project) {
	t.Helper()
	s := p.Services["grafana"]
	const prov = "/etc/grafana/provisioning"
	var provider struct {
		Providers []struct {
			Options struct {
				Path string `yaml:"path"`
			} `yaml:"options"`
		} `yaml:"providers"`
	}
	if err := yaml.Unmarshal(readAbs(t, mustHostPath(t, s, prov+"/dashboards/synthesisvr.yml")), &provider); err != nil || len(provider.Providers) == 0 {
		t.Fatalf("grafana: dashboard provider: %v", err)
	}
	for _, pr := range provider.Providers {
		for _, name := range []string{"synthesisvr-overview.json", "synthesisvr-exporter.json"} {
			got := readAbs(t, mustHostPath(t, s, pr.Options.Path+"/"+name))
			if string(got) != string(readFile(t, "dashboards/"+name)) {
				t.Errorf("grafana: %s/%s is not dashboards/%s", pr.Options.Path, name, name)
			}
		}
	}
	if home := s.Environment["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]; home != nil {
		if _, err := os.Stat(mustHostPath(t, s, *home)); err != nil {
			t.Errorf("grafana: the home dashboard: %v", err)
		}
	}
	n := 0
	for _, v := range s.Volumes {
		if v.Type != types.VolumeTypeBind || !strings.HasPrefix(v.Target, prov+"/datasources/") {
			continue
		}
		var ds struct {
			Datasources []struct {
				Type string `yaml:"type"`
				URL  string `yaml:"url"`
			} `yaml:"datasources"`
		}
		if err := yaml.Unmarshal(readAbs(t, v.Source), &ds); err != nil {
			t.Fatalf("grafana: %s: %v", v.Source, err)
		}
		for _, d := range ds.Datasources {
			checkService(t, p, "grafana: data source "+d.Type, d.URL)
			n++
		}
	}
	if n < 2 {
		t.Errorf("grafana: want the Prometheus and Jaeger data sources, got %d", n)
	}
}

// checkHA checks the two-replica variant: both replicas on Redis, behind HAProxy,
// whose config haproxy -c accepts.
func checkHA(t *testing.T, p *types.Project) {
	t.Helper()
	for _, name := range []string{"exporter", "exporter-2"} {
		s := p.Services[name]
		if flagValue(s.Command, "--storage.backend") != "redis" {
			t.Errorf("ha: %s does not use Redis: %q", name, s.Command)
		}
		checkService(t, p, name+": --storage.redis.url", flagValue(s.Command, "--storage.redis.url"))
	}
	data := func(name string) string {
		for _, v := range p.Services[name].Volumes {
			if v.Type == types.VolumeTypeVolume {
				return v.Source
			}
		}
		return ""
	}
	if data("exporter") == "" || data("exporter") == data("exporter-2") {
		t.Error("ha: each replica needs its own volume for its spool")
	}
	lb := p.Services["lb"]
	cfg := mustHostPath(t, lb, "/usr/local/etc/haproxy/haproxy.cfg")
	// Each replica is a server checked on /-/ready, and a backup used when none is
	// ready, so that the events reach a replica's spool.
	// An address from the environment, "${NAME-default}", is the stack's default.
	text := regexp.MustCompile(`"\$\{\w+-([^}]*)\}"`).ReplaceAllString(string(readAbs(t, cfg)), "$1")
	servers := regexp.MustCompile(`(?m)^\s*server\s+\S+\s+(\S+)(.*)$`).FindAllStringSubmatch(text, -1)
	checked, backup := map[string]bool{}, map[string]bool{}
	for _, m := range servers {
		checkService(t, p, "lb: server", m[1])
		opts := strings.Fields(m[2])
		switch {
		case slices.Contains(opts, "backup") && !slices.Contains(opts, "check"):
			backup[m[1]] = true
		case slices.Contains(opts, "check") && !slices.Contains(opts, "backup"):
			checked[m[1]] = true
		default:
			t.Errorf("ha: HAProxy server %s %s: want either check or backup", m[1], m[2])
		}
	}
	want := map[string]bool{"exporter:9865": true, "exporter-2:9865": true}
	if !maps.Equal(checked, want) || !maps.Equal(backup, want) {
		t.Errorf("ha: HAProxy servers %v and backups %v, want both replicas in each", checked, backup)
	}
	checkService(t, p, "simulator", flagValue(p.Services["simulator"].Command, "--exporter.url"))
	if u := flagValue(p.Services["simulator"].Command, "--exporter.url"); !strings.Contains(u, "//lb:") {
		t.Errorf("ha: the simulator posts to %s, not through the load balancer", u)
	}
	haproxy := lookTool(t, "haproxy", "haproxy")
	out, err := runTool(t, ".", haproxy, "-c", "-f", cfg)
	if err != nil || strings.Contains(out, "[ALERT]") {
		t.Errorf("haproxy -c: %v\n%s", err, out)
	}
}

// readAbs reads a file by its absolute path.
func readAbs(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
