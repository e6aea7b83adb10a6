package dashboards_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/dashboards"
)

// The lint rules are those of grafana's dashboard-linter (which cannot be had here)
// and this project's own: every panel queries the datasource variable, has a title,
// a description and a unit; panels do not overlap; ranges are $__rate_interval; and
// the aggregations give the same numbers with one replica or several.

// lintVars replace the variables with values no dashboard would write by hand, so
// that a range in the parsed query tells which variable it came from.
var lintVars = dashboards.Vars{Job: []string{"lint"}, Scrape: 3 * time.Second, Interval: 997 * time.Second, Range: 7*24*time.Hour + 3*time.Second}

// storeGauges are built from the shared store or the config: the same on every
// replica, so a query must take their max, never their sum.
var storeGauges = []string{
	"synthesisvr_sessions_active",
	"synthesisvr_stations_active",
	"synthesisvr_sessions_booked",
	"synthesisvr_last_event_timestamp_seconds",
	"synthesisvr_location_open",
	"synthesisvr_location_stations",
	"synthesisvr_location_utc_offset_seconds",
}

// recordingRules are the recording rules of the repository's rules file: a series
// with a colon in its name must be one of them. They are aggregated per location
// already (max of gauges, sum of rates over replicas), so a panel may sum, max or
// average them; they are not counters, so it takes no rate of them.
var recordingRules = sync.OnceValues(func() (map[string]string, error) {
	return dashboards.RecordingRules(dashboards.RulesFile)
})

const dsRef = "${" + dashboards.DatasourceVariable + "}"

// lint returns every problem of a dashboard, each naming where it is.
func lint(b *dashboards.Board) []string {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	lintVariables(b, add)
	ids := map[int]string{}
	panels := b.AllPanels()
	for i, p := range panels {
		where := fmt.Sprintf("panel %d %q", p.ID, p.Title)
		if p.ID <= 0 {
			add("%s: no id", where)
		} else if other, dup := ids[p.ID]; dup {
			add("%s: id also used by %q", where, other)
		}
		ids[p.ID] = p.Title
		lintGrid(where, p, panels[:i], add)
		if p.Type == "row" {
			continue
		}
		lintPanel(where, p, add)
		for _, t := range p.Targets {
			lintTarget(b, where, p, t, add)
		}
	}
	return problems
}

func lintVariables(b *dashboards.Board, add func(string, ...any)) {
	ds, ok := b.Variable(dashboards.DatasourceVariable)
	switch {
	case !ok:
		add("no %q variable", dashboards.DatasourceVariable)
	case ds.Type != "datasource" || ds.QueryText() != dashboards.DatasourceType:
		add("variable %q: type %q query %q, want a datasource variable of %q", ds.Name, ds.Type, ds.QueryText(), dashboards.DatasourceType)
	}
	loc, ok := b.Variable(dashboards.LocationVariable)
	if !ok {
		add("no %q variable", dashboards.LocationVariable)
		return
	}
	if !loc.Multi || !loc.IncludeAll {
		add("variable %q: multi %v includeAll %v, want both", loc.Name, loc.Multi, loc.IncludeAll)
	}
	for _, v := range b.Templating.List {
		if v.Type == "query" && (v.Datasource == nil || v.Datasource.UID != dsRef) {
			add("variable %q does not query %s", v.Name, dsRef)
		}
		if v.Type == "query" {
			if _, _, ok := v.LabelValues(); !ok {
				add("variable %q: query %q is not label_values(metric, label)", v.Name, v.QueryText())
			}
		}
	}
}

func lintGrid(where string, p dashboards.Panel, before []dashboards.Panel, add func(string, ...any)) {
	g := p.GridPos
	if g.W <= 0 || g.H <= 0 || g.X < 0 || g.Y < 0 || g.X+g.W > 24 {
		add("%s: gridPos %+v is off the 24-column grid", where, g)
	}
	for _, o := range before {
		if g.Overlaps(o.GridPos) {
			add("%s: gridPos %+v overlaps panel %d %q at %+v", where, g, o.ID, o.Title, o.GridPos)
		}
	}
}

func lintPanel(where string, p dashboards.Panel, add func(string, ...any)) {
	if strings.TrimSpace(p.Title) == "" {
		add("%s: no title", where)
	}
	if strings.TrimSpace(p.Description) == "" {
		add("%s: no description", where)
	}
	if p.FieldConfig.Defaults.Unit == "" {
		add("%s: no unit", where)
	}
	if p.Datasource == nil || p.Datasource.UID != dsRef {
		add("%s: does not query the data source %s", where, dsRef)
	}
	if len(p.Targets) == 0 {
		add("%s: no query", where)
	}
	if p.Interval != "" {
		if _, err := model.ParseDuration(p.Interval); err != nil {
			add("%s: interval %q: %v", where, p.Interval, err)
		}
	}
	var refs []string
	for _, t := range p.Targets {
		if t.RefID == "" {
			add("%s: a query has no refId", where)
		} else if slices.Contains(refs, t.RefID) {
			add("%s: refId %s used twice", where, t.RefID)
		}
		refs = append(refs, t.RefID)
	}
}

func lintTarget(b *dashboards.Board, where string, p dashboards.Panel, t dashboards.Target, add func(string, ...any)) {
	where = fmt.Sprintf("%s target %s", where, t.RefID)
	if t.Datasource == nil || t.Datasource.UID != dsRef {
		add("%s: does not query the data source %s", where, dsRef)
	}
	one := *b
	one.Panels = []dashboards.Panel{{ID: p.ID, Title: p.Title, Interval: p.Interval, TimeFrom: p.TimeFrom, Targets: []dashboards.Target{t}}}
	qs, err := one.Queries(lintVars)
	if err != nil {
		add("%v", err)
		return
	}
	expr, err := parser.ParseExpr(qs[0].Expr)
	if err != nil {
		add("%s: %v", where, err)
		return
	}
	allowed := map[time.Duration]string{rateIntervalOf(qs[0].Step): "$__rate_interval"}
	if p.Interval != "" {
		allowed[qs[0].Step] = "the panel's interval"
	}
	if t.Instant {
		// The dashboard's range, or the panel's relative time.
		allowed[qs[0].Range] = "$__range"
	}
	parser.Inspect(expr, func(n parser.Node, path []parser.Node) error {
		switch n := n.(type) {
		case *parser.MatrixSelector:
			if _, ok := allowed[n.Range]; !ok {
				add("%s: range [%s] is neither $__rate_interval, nor the panel's interval, nor $__range in an instant query", where, model.Duration(n.Range))
			}
		case *parser.SubqueryExpr:
			add("%s: subqueries are not used by these dashboards: %s", where, n)
		case *parser.VectorSelector:
			lintAggregation(where, n, path, add)
		}
		return nil
	})
}

// rateIntervalOf is $__rate_interval for a step, with lintVars' scrape interval.
func rateIntervalOf(step time.Duration) time.Duration {
	return max(step+lintVars.Scrape, 4*lintVars.Scrape)
}

// lintAggregation checks that a store gauge is aggregated with max, and a counter
// is taken a rate or increase of and then summed.
func lintAggregation(where string, vs *parser.VectorSelector, path []parser.Node, add func(string, ...any)) {
	up := ancestors(path)
	switch {
	case dashboards.IsRecorded(vs.Name):
		rules, err := recordingRules()
		switch {
		case err != nil:
			add("%s: %s: cannot read the recording rules: %v", where, vs.Name, err)
		case rules[vs.Name] == "":
			add("%s: %s is not recorded by any rule of %s: a name with a colon is a recorded series", where, vs.Name, dashboards.RulesFile)
		case len(up) >= 2 && isMatrix(up[0]) && isCall(up[1], "rate", "irate", "increase", "delta", "idelta", "deriv", "resets"):
			add("%s: %s is recorded per location already (a rate or a gauge, not a counter): read it, or average it over time, not %s", where, vs.Name, describe(up))
		}
	case slices.Contains(storeGauges, vs.Name):
		if len(up) == 0 || !isAggregate(up[0], parser.MAX) {
			add("%s: %s is the same on every replica: aggregate it with max by (location), not %s", where, vs.Name, describe(up))
		}
	case isCounter(vs.Name):
		ok := len(up) >= 3 && isMatrix(up[0]) && isCall(up[1], "rate", "increase") && isAggregate(up[2], parser.SUM)
		if !ok {
			add("%s: %s counts per process: sum its rate or increase over replicas, not %s", where, vs.Name, describe(up))
		}
	}
}

// ancestors returns the nodes above, nearest first, without parentheses.
func ancestors(path []parser.Node) []parser.Node {
	var out []parser.Node
	for i := len(path) - 1; i >= 0; i-- {
		if _, paren := path[i].(*parser.ParenExpr); !paren {
			out = append(out, path[i])
		}
	}
	return out
}

func isCounter(name string) bool {
	return strings.HasPrefix(name, "synthesisvr_") &&
		(strings.HasSuffix(name, "_total") || strings.HasSuffix(name, "_bucket") || strings.HasSuffix(name, "_count") || strings.HasSuffix(name, "_sum"))
}

func isMatrix(n parser.Node) bool {
	_, ok := n.(*parser.MatrixSelector)
	return ok
}

func isCall(n parser.Node, names ...string) bool {
	c, ok := n.(*parser.Call)
	return ok && slices.Contains(names, c.Func.Name)
}

func isAggregate(n parser.Node, op parser.ItemType) bool {
	a, ok := n.(*parser.AggregateExpr)
	return ok && a.Op == op
}

// describe names the nodes above a selector for a message.
func describe(up []parser.Node) string {
	if len(up) == 0 {
		return "nothing"
	}
	var parts []string
	for _, n := range up[:min(3, len(up))] {
		switch n := n.(type) {
		case *parser.AggregateExpr:
			parts = append(parts, n.Op.String())
		case *parser.Call:
			parts = append(parts, n.Func.Name+"()")
		case *parser.MatrixSelector:
			parts = append(parts, "[range]")
		default:
			parts = append(parts, fmt.Sprintf("%T", n))
		}
	}
	return strings.Join(parts, " < ")
}
