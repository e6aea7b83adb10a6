package deploy_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
	"github.com/prometheus/common/version"
)

// instruction is one Dockerfile instruction, its continuation lines joined.
type instruction struct {
	cmd  string // upper case: FROM, RUN, ...
	args string
}

func parseDockerfile(t *testing.T, data []byte) []instruction {
	t.Helper()
	var out []instruction
	var cur strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if l, ok := strings.CutSuffix(line, `\`); ok {
			cur.WriteString(l + " ")
			continue
		}
		cur.WriteString(line)
		cmd, args, _ := strings.Cut(cur.String(), " ")
		out = append(out, instruction{strings.ToUpper(cmd), strings.Join(strings.Fields(args), " ")})
		cur.Reset()
	}
	return out
}

func TestDockerfile(t *testing.T) {
	ins := parseDockerfile(t, readFile(t, "deploy/docker/Dockerfile"))
	var froms []string
	stage := map[string][]instruction{}
	for _, in := range ins {
		if in.cmd == "FROM" {
			froms = append(froms, in.args)
		}
		stage[in.cmd] = append(stage[in.cmd], in)
	}
	if len(froms) != 2 {
		t.Fatalf("want a build stage and a runtime stage, got FROM %q", froms)
	}
	goVersion := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(readFile(t, "go.mod"))
	if goVersion == nil || !strings.HasPrefix(froms[0], "golang:"+string(goVersion[1])) || !strings.HasSuffix(froms[0], " AS build") {
		t.Errorf("the build stage is FROM %q, want golang:%s... AS build (go.mod's Go)", froms[0], goVersion[1])
	}
	if froms[1] != "gcr.io/distroless/static-debian12:nonroot" {
		t.Errorf("the runtime stage is FROM %q, want distroless static nonroot", froms[1])
	}
	want := map[string]string{
		// The build runs the script CI runs, so its flags are tested.
		"RUN":        "BUILD_WINDOWS=no sh deploy/docker/build.sh /out/bin",
		"COPY":       "--from=build /out/bin/ /bin/",
		"USER":       "65532:65532",
		"VOLUME":     `["/var/lib/synthesisvr_exporter"]`,
		"EXPOSE":     "9865",
		"ENTRYPOINT": `["/bin/synthesisvr_exporter"]`,
		"CMD":        `["--storage.path=/var/lib/synthesisvr_exporter/synthesisvr.db"]`,
	}
	for cmd, args := range want {
		if !slices.ContainsFunc(stage[cmd], func(in instruction) bool { return strings.HasSuffix(in.args, args) }) {
			t.Errorf("no %s ...%s in the Dockerfile", cmd, args)
		}
	}
	for _, in := range stage["ARG"] {
		if !strings.Contains(string(readFile(t, "deploy/docker/build.sh")), "${"+in.args) {
			t.Errorf("ARG %s is not used by build.sh", in.args)
		}
	}
}

// TestBuildScriptStampsVersion checks that build.sh sets every field of the version
// package that --version shows, and builds as the issue asks. CI runs the script
// (.ci/run) and checks the stamped --version.
func TestBuildScriptStampsVersion(t *testing.T) {
	script := string(readFile(t, "deploy/docker/build.sh"))
	// A field that does not exist would be ignored by the linker: these must compile.
	fields := map[string]*string{
		"Version": &version.Version, "Revision": &version.Revision, "Branch": &version.Branch,
		"BuildUser": &version.BuildUser, "BuildDate": &version.BuildDate,
	}
	for name := range fields {
		if !strings.Contains(script, "-X $pkg."+name+"=") {
			t.Errorf("build.sh does not set version.%s", name)
		}
	}
	for _, want := range []string{"pkg=github.com/prometheus/common/version", "CGO_ENABLED=0", "go build -trimpath", "./cmd/..."} {
		if !strings.Contains(script, want) {
			t.Errorf("build.sh lacks %q", want)
		}
	}
}

// TestDockerignoreLetsInTheBuild checks, with Docker's own pattern matcher, that the
// build context keeps every file the commands are built from, and leaves the rest out.
func TestDockerignoreLetsInTheBuild(t *testing.T) {
	f, err := os.Open(filepath.Join(root, ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	patterns, err := ignorefile.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		t.Fatal(err)
	}
	excluded := func(path string) bool {
		ok, err := pm.MatchesOrParentMatches(filepath.ToSlash(path))
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	need := []string{"go.mod", "go.sum", "deploy/docker/build.sh"}
	for _, p := range goListDeps(t) {
		need = append(need, p)
	}
	for _, p := range need {
		if excluded(p) {
			t.Errorf(".dockerignore leaves out %s, which the image's build needs", p)
		}
	}
	for _, p := range []string{".git/HEAD", "dashboards/overview.go", "data/synthesisvr.db", "exporter/event/decode_test.go", "README.md", "exporter/README.md"} {
		if !excluded(p) {
			t.Errorf(".dockerignore lets in %s, which the build does not need", p)
		}
	}
}

// goListDeps returns the files, relative to the root, of the module's packages that
// ./cmd/... imports: their Go files and embedded files.
func goListDeps(t *testing.T) []string {
	t.Helper()
	out, err := runToolOutput(t, "go", "list", "-deps", "-json=Dir,Module,GoFiles,EmbedFiles", "./cmd/...")
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	dec := json.NewDecoder(strings.NewReader(out))
	for {
		var p struct {
			Dir        string
			Module     *struct{ Main bool }
			GoFiles    []string
			EmbedFiles []string
		}
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if p.Module == nil || !p.Module.Main {
			continue
		}
		rel, err := filepath.Rel(abs, p.Dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range append(p.GoFiles, p.EmbedFiles...) {
			files = append(files, filepath.Join(rel, f))
		}
	}
	if len(files) == 0 {
		t.Fatal("go list found no package of the module under ./cmd/...")
	}
	return files
}

// runToolOutput runs a command in the root and returns its standard output alone
// (the error carries its standard error).
func runToolOutput(t *testing.T, name string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = root
	out, err := cmd.Output()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		err = fmt.Errorf("%w: %s", err, ee.Stderr)
	}
	return string(out), err
}
