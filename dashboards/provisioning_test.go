package dashboards_test

import (
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v3"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/dashboards"
)

// provisioning is deploy/grafana/provisioning, beside this folder.
var provisioning = filepath.Join("..", "deploy", "grafana", "provisioning")

// datasourcesFile is the part of a Grafana datasource provisioning file checked here.
type datasourcesFile struct {
	APIVersion  int `yaml:"apiVersion"`
	Datasources []struct {
		Name      string `yaml:"name"`
		Type      string `yaml:"type"`
		UID       string `yaml:"uid"`
		Access    string `yaml:"access"`
		URL       string `yaml:"url"`
		IsDefault bool   `yaml:"isDefault"`
		Editable  bool   `yaml:"editable"`
		JSONData  struct {
			TimeInterval string `yaml:"timeInterval"`
			HTTPMethod   string `yaml:"httpMethod"`
		} `yaml:"jsonData"`
	} `yaml:"datasources"`
}

// providersFile is the part of a Grafana dashboard provider file checked here.
type providersFile struct {
	APIVersion int `yaml:"apiVersion"`
	Providers  []struct {
		Name                  string `yaml:"name"`
		Type                  string `yaml:"type"`
		Folder                string `yaml:"folder"`
		AllowUIUpdates        bool   `yaml:"allowUiUpdates"`
		DisableDeletion       bool   `yaml:"disableDeletion"`
		UpdateIntervalSeconds int    `yaml:"updateIntervalSeconds"`
		Options               struct {
			Path                      string `yaml:"path"`
			FoldersFromFilesStructure bool   `yaml:"foldersFromFilesStructure"`
		} `yaml:"options"`
	} `yaml:"providers"`
}

// readYAML decodes a provisioning file strictly: a key that v does not know is an
// error, since Grafana would ignore a misspelt one silently (add a new key to v).
func readYAML(t *testing.T, name string, v any) {
	t.Helper()
	f, err := os.Open(filepath.Join(provisioning, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

func TestProvisionedDatasource(t *testing.T) {
	var f datasourcesFile
	readYAML(t, "datasources/prometheus.yml", &f)
	if f.APIVersion != 1 || len(f.Datasources) != 1 {
		t.Fatalf("apiVersion %d with %d datasources, want 1 and 1", f.APIVersion, len(f.Datasources))
	}
	ds := f.Datasources[0]
	if ds.Type != dashboards.DatasourceType || ds.UID == "" || ds.URL == "" || ds.Access != "proxy" {
		t.Errorf("datasource %+v: want type %s, a fixed uid, a url and access proxy", ds, dashboards.DatasourceType)
	}
	if _, err := model.ParseDuration(ds.JSONData.TimeInterval); err != nil {
		t.Errorf("jsonData.timeInterval %q (the scrape interval $__rate_interval derives from): %v", ds.JSONData.TimeInterval, err)
	}
}

// TestProvisionedDashboards checks that file provisioning loads the dashboards as
// they are: the provider reads a folder of JSON files, the dashboards folder holds
// exactly the generated ones, and they need nothing resolved at import.
func TestProvisionedDashboards(t *testing.T) {
	var f providersFile
	readYAML(t, "dashboards/synthesisvr.yml", &f)
	if f.APIVersion != 1 || len(f.Providers) != 1 {
		t.Fatalf("apiVersion %d with %d providers, want 1 and 1", f.APIVersion, len(f.Providers))
	}
	p := f.Providers[0]
	if p.Type != "file" || !path.IsAbs(p.Options.Path) {
		t.Errorf("provider %+v: want type file and an absolute options.path", p)
	}
	if p.AllowUIUpdates {
		t.Error("allowUiUpdates is true: edits in Grafana would drift from the generated JSON")
	}
	// Grafana loads every *.json of the folder mounted at options.path.
	found, err := filepath.Glob("*.json")
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, file := range dashboards.Files {
		want = append(want, file.Name)
	}
	slices.Sort(found)
	slices.Sort(want)
	if !slices.Equal(found, want) {
		t.Errorf("dashboards/ holds %q, want exactly the generated %q: Grafana would load any other JSON too", found, want)
	}
	for _, name := range found {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, unresolved := range []string{"__inputs", "${DS_", "__requires"} {
			if strings.Contains(string(data), unresolved) {
				t.Errorf("%s contains %q, which file provisioning does not resolve", name, unresolved)
			}
		}
	}
	uids := map[string]bool{}
	for _, b := range readBoards(t) {
		if len(b.UID) == 0 || len(b.UID) > 40 || uids[b.UID] {
			t.Errorf("uid %q: want a unique uid of 1 to 40 characters", b.UID)
		}
		uids[b.UID] = true
		if v, ok := b.Variable(dashboards.DatasourceVariable); !ok || v.QueryText() != dashboards.DatasourceType {
			t.Errorf("%s: its datasource variable does not list %s data sources", b.UID, dashboards.DatasourceType)
		}
	}
}
