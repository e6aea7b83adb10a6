package tracing

import (
	"context"
	"runtime"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
)

func TestWanted(t *testing.T) {
	tests := map[string]struct {
		env    map[string]string
		wantOn bool
		why    string
	}{
		"nothing set":                        {nil, false, "neither"},
		"otlp exporter":                      {map[string]string{EnvExporter: "otlp"}, true, "OTEL_TRACES_EXPORTER=otlp"},
		"console exporter":                   {map[string]string{EnvExporter: "console"}, true, "OTEL_TRACES_EXPORTER=console"},
		"none":                               {map[string]string{EnvExporter: "none", EnvEndpoint: "http://c:4318"}, false, "OTEL_TRACES_EXPORTER=none"},
		"endpoint alone":                     {map[string]string{EnvEndpoint: "http://c:4318"}, true, "OTEL_EXPORTER_OTLP_ENDPOINT"},
		"traces endpoint alone":              {map[string]string{EnvTracesEndpoint: "http://c:4318/v1/traces"}, true, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"},
		"disabled wins":                      {map[string]string{EnvDisabled: "true", EnvExporter: "otlp"}, false, "OTEL_SDK_DISABLED=true"},
		"disabled in any case":               {map[string]string{EnvDisabled: " TRUE ", EnvEndpoint: "http://c:4318"}, false, "OTEL_SDK_DISABLED=true"},
		"disabled=false is not off":          {map[string]string{EnvDisabled: "false", EnvExporter: "otlp"}, true, "OTEL_TRACES_EXPORTER=otlp"},
		"unknown exporter is on (New fails)": {map[string]string{EnvExporter: "jaeger"}, true, "OTEL_TRACES_EXPORTER=jaeger"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			on, why := Wanted(func(k string) string { return tc.env[k] })
			if on != tc.wantOn || !strings.Contains(why, tc.why) {
				t.Errorf("Wanted = %v, %q; want %v and a reason naming %q", on, why, tc.wantOn, tc.why)
			}
		})
	}
}

// clearEnv unsets every variable that Wanted reads, for this test.
func clearEnv(t *testing.T) {
	for _, k := range []string{EnvDisabled, EnvExporter, EnvEndpoint, EnvTracesEndpoint, "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"} {
		t.Setenv(k, "")
	}
}

func TestNewOffStartsNothing(t *testing.T) {
	clearEnv(t)
	before := runtime.NumGoroutine()
	p, err := New(context.Background(), Options{ServiceName: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if p.Enabled() || NewSpans(p).Enabled() || NewSpans(p).Middleware() != nil {
		t.Error("tracing is on with no exporter configured")
	}
	if after := runtime.NumGoroutine(); after > before {
		t.Errorf("%d goroutines after New, %d before: an off provider must start none", after, before)
	}
	if err := p.Shutdown(context.Background()); err != nil {
		t.Error(err)
	}
}

func TestNewOn(t *testing.T) {
	clearEnv(t)
	t.Setenv(EnvEndpoint, "http://127.0.0.1:1") // never reached: nothing is sent
	p, err := New(context.Background(), Options{ServiceName: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if !p.Enabled() || !NewSpans(p).Enabled() || len(NewSpans(p).Middleware()) == 0 {
		t.Error("tracing is off with an OTLP endpoint set")
	}
	if err := p.Shutdown(context.Background()); err != nil {
		t.Errorf("Shutdown with nothing buffered: %v", err)
	}
}

func TestNewBadSettings(t *testing.T) {
	tests := map[string]struct {
		env  map[string]string
		want string
	}{
		"unknown exporter": {map[string]string{EnvExporter: "jaeger"}, `OTEL_TRACES_EXPORTER="jaeger"`},
		"a list":           {map[string]string{EnvExporter: "otlp,console"}, "use otlp, console or none"},
		"bad protocol":     {map[string]string{EnvExporter: "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"}, "invalid OTLP protocol"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			clearEnv(t)
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			_, err := New(context.Background(), Options{ServiceName: "x"})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New: %v; want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestResource(t *testing.T) {
	o := Options{ServiceName: "synthesisvr_exporter", Version: "1.2.3", Instance: "venue:9865"}
	tests := map[string]struct {
		env  map[string]string
		want map[attribute.Key]string
	}{
		"own attributes": {nil, map[attribute.Key]string{
			"service.name": "synthesisvr_exporter", "service.version": "1.2.3",
			"service.instance.id": "venue:9865", "telemetry.sdk.language": "go",
		}},
		"the environment wins": {
			map[string]string{"OTEL_SERVICE_NAME": "svr-downtown", "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment.name=prod,service.instance.id=pod-1"},
			map[attribute.Key]string{
				"service.name": "svr-downtown", "service.version": "1.2.3",
				"service.instance.id": "pod-1", "deployment.environment.name": "prod",
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Setenv("OTEL_SERVICE_NAME", "")
			t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "")
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			res, err := newResource(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			set := res.Set()
			for k, want := range tc.want {
				if got, _ := set.Value(k); got.Emit() != want {
					t.Errorf("%s = %q, want %q", k, got.Emit(), want)
				}
			}
		})
	}
}
