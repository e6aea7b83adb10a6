package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// yamlLine matches the line yaml puts in its syntax errors, to move it where editors look for it.
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parseYAML returns the root node of the only document in data, or nil when there is none.
func parseYAML(name string, data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, syntaxError(name, data, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, syntaxError(name, data, err)
		}
		return nil, &Error{Issues: []Issue{{File: name, Line: extra.Line,
			Message: "a second YAML document starts here; the config file holds one document, remove the --- line"}}}
	}
	root := deref(doc.Content[0])
	if root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null" {
		return nil, nil
	}
	return root, nil
}

func syntaxError(name string, data []byte, err error) error {
	is := Issue{File: name, Line: unreadableLine(data), Message: strings.TrimPrefix(err.Error(), "yaml: ")}
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		is.Line, _ = strconv.Atoi(m[1])
		is.Message = m[2]
		if isParserError(is.Message) {
			is.Line++
		}
		// At the end of a file without a final newline, yaml points past its last line.
		is.Line = min(is.Line, lineCount(data))
	}
	if m := unknownAnchor.FindStringSubmatch(err.Error()); m != nil {
		is.Line = aliasLine(data, m[1])
	}
	is.Message = "not valid YAML: " + withoutQuotes(is.Message)
	return &Error{Issues: []Issue{is}}
}

// unknownAnchor matches yaml's error for an alias without its anchor, which has no line.
var unknownAnchor = regexp.MustCompile(`unknown anchor '(.*)' referenced`)

// aliasLine is the first line that refers to the alias name, or 1.
func aliasLine(data []byte, name string) int {
	for i, line := range bytes.Split(data, []byte("\n")) {
		if bytes.Contains(line, []byte("*"+name)) {
			return i + 1
		}
	}
	return 1
}

// quoted matches the text yaml quotes from the file in its messages (an anchor name,
// a key, a value), with the space before it.
var quoted = regexp.MustCompile("\\s*('[^']*'|\"[^\"]*\"|`[^`]*`)")

// withoutQuotes drops the file's text that a yaml message repeats: it could be a
// secret (an anchor named after a token, a token written in the wrong place), and
// the line already says where to look.
func withoutQuotes(msg string) string {
	return quoted.ReplaceAllString(msg, "")
}

// lineCount is the number of lines of data as YAML counts them (a line ends at
// \n, \r\n, a lone \r, or U+0085, U+2028, U+2029), the last one with or without
// its line break.
func lineCount(data []byte) int {
	s := strings.ReplaceAll(string(data), "\r\n", "\n")
	n := strings.Count(s, "\n") + strings.Count(s, "\r") +
		strings.Count(s, "\u0085") + strings.Count(s, "\u2028") + strings.Count(s, "\u2029")
	if s == "" || !strings.ContainsAny(s[len(s)-1:], "\n\r") && !strings.HasSuffix(s, "\u0085") &&
		!strings.HasSuffix(s, "\u2028") && !strings.HasSuffix(s, "\u2029") {
		n++
	}
	return n
}

// parserErrors are the messages of yaml's parser (as opposed to its scanner): for
// them yaml reports a line counted from 0, where scanner errors count from 1.
var parserErrors = []string{
	"did not find expected ',' or ']'",
	"did not find expected ',' or '}'",
	"did not find expected '-' indicator",
	"did not find expected <document start>",
	"did not find expected <stream-start>",
	"did not find expected key",
	"did not find expected node content",
	"found duplicate %TAG directive",
	"found duplicate %YAML directive",
	"found incompatible YAML document",
	"found undefined tag handle",
}

func isParserError(msg string) bool {
	for _, p := range parserErrors {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

// unreadableLine guesses the line of a yaml error that has none: yaml leaves the line out
// for errors on the first line and for characters it cannot read, wherever they are.
func unreadableLine(data []byte) int {
	for i, line := range bytes.Split(data, []byte("\n")) {
		if !utf8.Valid(line) || bytes.ContainsFunc(line, disallowed) {
			return i + 1
		}
	}
	return 1
}

// disallowed reports the control characters that YAML does not accept in a file.
func disallowed(r rune) bool {
	return unicode.IsControl(r) && r != '\t' && r != '\r' && r != '\u0085'
}

// deref follows aliases, so that anchors work anywhere a value does.
func deref(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// parser collects issues while walking the node tree.
type parser struct {
	file        string
	dir         string
	credentials string // $CREDENTIALS_DIRECTORY, or ""
	issues      []Issue
	faulty      map[string]bool // paths that have an issue
	// apiKeys remembers where each location's API key was set, to refuse a shared one.
	apiKeys map[string]seenAt
}

// errorf records an issue unless the field already has one: a field's first problem
// (a wrong type, say) usually causes the later ones, which would only add noise.
func (p *parser) errorf(n *yaml.Node, path, format string, args ...any) {
	if p.faulty[path] {
		return
	}
	if p.faulty == nil {
		p.faulty = map[string]bool{}
	}
	p.faulty[path] = true
	p.issues = append(p.issues, Issue{File: p.file, Line: n.Line, Path: path, Message: fmt.Sprintf(format, args...)})
}

func (p *parser) err() error {
	issues := slices.Clone(p.issues)
	slices.SortStableFunc(issues, func(a, b Issue) int { return a.Line - b.Line })
	return &Error{Issues: issues}
}

// field is a known key of a mapping and what to do with its value.
type field struct {
	name string
	set  func(v *yaml.Node, path string)
}

// mapping checks that n is a mapping of known, unrepeated keys and hands each value that is
// not null to its field; null counts as left out, as it does for yaml's own decoding. It
// returns the value nodes by key, for errors found later, and false when n is no mapping.
func (p *parser) mapping(n *yaml.Node, path string, fields []field) (map[string]*yaml.Node, bool) {
	if !p.isKind(n, path, yaml.MappingNode, "a mapping with the fields "+names(fields)) {
		return nil, false
	}
	values := map[string]*yaml.Node{}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), deref(n.Content[i+1])
		f, ok := p.key(k, path, fields, seen)
		if ok && !isNull(v) {
			values[f.name] = v
			f.set(v, join(path, f.name))
		}
	}
	return values, true
}

// key finds the field of key node k, reporting keys that are not plain, repeated or unknown.
func (p *parser) key(k *yaml.Node, path string, fields []field, seen map[string]int) (field, bool) {
	if k.Kind != yaml.ScalarNode {
		p.errorf(k, path, "a key must be a plain name, got %s", describe(k))
		return field{}, false
	}
	kpath := join(path, k.Value)
	if first, dup := seen[k.Value]; dup {
		p.errorf(k, kpath, "set twice (first on line %d); keep one", first)
		return field{}, false
	}
	seen[k.Value] = k.Line
	for _, f := range fields {
		if f.name == k.Value {
			return f, true
		}
	}
	if k.ShortTag() == "!!merge" {
		p.errorf(k, path, "merge keys (<<) are not supported; write the fields out")
		return field{}, false
	}
	p.errorf(k, kpath, "unknown field; known fields are %s", names(fields))
	return field{}, false
}

// list hands each item of sequence n to each, with its indexed path.
func (p *parser) list(n *yaml.Node, path, want string, each func(item *yaml.Node, path string)) {
	if !p.isKind(n, path, yaml.SequenceNode, want) {
		return
	}
	for i, item := range n.Content {
		each(deref(item), fmt.Sprintf("%s[%d]", path, i))
	}
}

func (p *parser) isKind(n *yaml.Node, path string, kind yaml.Kind, want string) bool {
	if n.Kind == kind && !isNull(n) {
		return true
	}
	p.errorf(n, path, "must be %s, got %s", want, describe(n))
	return false
}

// str returns a field setter for a string; any scalar is accepted, as written, so that
// names such as 2026 or yes stay what the user typed.
func (p *parser) str(dst *string) func(*yaml.Node, string) {
	return func(n *yaml.Node, path string) {
		if p.isKind(n, path, yaml.ScalarNode, "a string") {
			*dst = n.Value
		}
	}
}

// boolean returns a field setter for true or false.
func (p *parser) boolean(dst *bool) func(*yaml.Node, string) {
	return func(n *yaml.Node, path string) {
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(dst) != nil {
			p.errorf(n, path, "must be true or false, got %s", describe(n))
		}
	}
}

// integer decodes an integer scalar, reporting anything else.
func (p *parser) integer(n *yaml.Node, path string) (int64, bool) {
	var v int64
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
		p.errorf(n, path, "must be an integer, got %s", describe(n))
		return 0, false
	}
	if err := n.Decode(&v); err != nil {
		p.errorf(n, path, "must be an integer that fits in 64 bits")
		return 0, false
	}
	return v, true
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// describe names the kind of n without its value, because the value may be a secret
// written in the wrong place.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	switch n.ShortTag() {
	case "!!null":
		return "nothing"
	case "!!str":
		return "a string"
	case "!!int", "!!float":
		return "a number"
	case "!!bool":
		return "true or false"
	case "!!timestamp":
		return "a date"
	}
	return "a " + strings.TrimPrefix(n.ShortTag(), "!!") + " value"
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func names(fields []field) string {
	s := make([]string, len(fields))
	for i, f := range fields {
		s[i] = f.name
	}
	return strings.Join(s, ", ")
}
