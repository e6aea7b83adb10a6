# For the compose demo only: every alert rule's "for:" becomes one minute, so that
# the alerts of the repository's alerts/synthesisvr.rules.yml fire within minutes of
# "docker compose up" instead of after up to an hour. compose.yml applies this to the
# mounted rules file when Prometheus starts; deploy/deploy_test.go applies it with the
# real sed and checks the result with promtool. Production keeps the real rules.
s/^\([[:space:]]*for:[[:space:]]*\)[0-9][0-9a-z]*[[:space:]]*$/\11m/
