package dashboards

import (
	"github.com/grafana/grafana-foundation-sdk/go/bargauge"
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/variants"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/statetimeline"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

// Variable names the dashboards define and their queries use.
const (
	DatasourceVariable = "datasource"
	LocationVariable   = "location"
	JobVariable        = "job"
)

// DatasourceType is the plugin type of the data source every panel queries.
const DatasourceType = "prometheus"

// promDS points panels and targets at the data source the variable selects, so the
// JSON loads unchanged by file provisioning, which resolves no __inputs.
var promDS = common.DataSourceRef{Type: cog.ToPtr(DatasourceType), Uid: cog.ToPtr("${" + DatasourceVariable + "}")}

// Grafana's colours, by name.
const (
	green  = "green"
	yellow = "yellow"
	red    = "red"
	gray   = "text"
	blue   = "blue"
)

// target is one PromQL query of a panel.
type target struct {
	expr   string
	legend string
	// instant asks for the value now only (stats, tables), not a range.
	instant bool
	// table asks for rows of labels and values instead of series.
	table bool
}

// targets builds a panel's queries with reference ids A, B, C... in order, since the
// SDK sets none and Grafana needs them to tell the queries apart.
func targets(ts ...target) []cog.Builder[variants.Dataquery] {
	out := make([]cog.Builder[variants.Dataquery], 0, len(ts))
	for i, t := range ts {
		q := prometheus.NewDataqueryBuilder().
			RefId(string(rune('A' + i))).
			Datasource(promDS).
			Expr(t.expr)
		if t.legend != "" {
			q.LegendFormat(t.legend)
		}
		if t.instant {
			q.Instant()
		} else {
			q.Range()
		}
		if t.table {
			q.Format(prometheus.PromQueryFormatTable)
		}
		out = append(out, q)
	}
	return out
}

// step is a threshold: from value on, the colour.
type step struct {
	value float64
	color string
}

// thresholds returns absolute thresholds: the base colour, then the steps.
func thresholds(base string, steps ...step) *dashboard.ThresholdsConfigBuilder {
	out := []dashboard.Threshold{{Color: base}}
	for _, s := range steps {
		out = append(out, dashboard.Threshold{Value: cog.ToPtr(s.value), Color: s.color})
	}
	return dashboard.NewThresholdsConfigBuilder().Mode(dashboard.ThresholdsModeAbsolute).Steps(out)
}

// valueText maps exact values to a text and a colour: value, text, colour, ...
func valueText(triples ...string) []dashboard.ValueMapping {
	opts := map[string]dashboard.ValueMappingResult{}
	for i := 0; i+2 < len(triples); i += 3 {
		opts[triples[i]] = dashboard.ValueMappingResult{
			Text: cog.ToPtr(triples[i+1]), Color: cog.ToPtr(triples[i+2]), Index: cog.ToPtr(int32(i / 3)),
		}
	}
	return []dashboard.ValueMapping{{ValueMap: &dashboard.ValueMap{Type: dashboard.MappingTypeValueToText, Options: opts}}}
}

// valueNames maps exact values to a text, keeping their colour: value, text, ...
func valueNames(pairs ...string) []dashboard.ValueMapping {
	opts := map[string]dashboard.ValueMappingResult{}
	for i := 0; i+1 < len(pairs); i += 2 {
		opts[pairs[i]] = dashboard.ValueMappingResult{Text: cog.ToPtr(pairs[i+1]), Index: cog.ToPtr(int32(i / 2))}
	}
	return []dashboard.ValueMapping{{ValueMap: &dashboard.ValueMap{Type: dashboard.MappingTypeValueToText, Options: opts}}}
}

// newStat is a single-number panel of the value now.
func newStat(title, description, unit string, t target) *stat.PanelBuilder {
	t.instant = true
	return stat.NewPanelBuilder().
		Title(title).Description(description).Unit(unit).
		Datasource(promDS).Targets(targets(t)).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"}).Values(false)).
		Orientation(common.VizOrientationAuto).
		TextMode(common.BigValueTextModeAuto).
		ColorMode(common.BigValueColorModeValue).
		GraphMode(common.BigValueGraphModeNone).
		Height(4).Span(6)
}

// newTimeseries is a graph over the dashboard's time range.
func newTimeseries(title, description, unit string, ts ...target) *timeseries.PanelBuilder {
	return timeseries.NewPanelBuilder().
		Title(title).Description(description).Unit(unit).
		Datasource(promDS).Targets(targets(ts...)).
		Min(0).LineWidth(1).FillOpacity(10).ShowPoints(common.VisibilityModeNever).
		Legend(common.NewVizLegendOptionsBuilder().
			ShowLegend(true).DisplayMode(common.LegendDisplayModeList).Placement(common.LegendPlacementBottom).Calcs([]string{})).
		Tooltip(common.NewVizTooltipOptionsBuilder().Mode(common.TooltipDisplayModeMulti).Sort(common.SortOrderDescending)).
		Height(8).Span(12)
}

// newBarGauge shows one horizontal bar per series of an instant query, in the
// order the query returns them (topk: largest first).
func newBarGauge(title, description, unit string, t target) *bargauge.PanelBuilder {
	t.instant = true
	return bargauge.NewPanelBuilder().
		Title(title).Description(description).Unit(unit).
		Datasource(promDS).Targets(targets(t)).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"}).Values(false)).
		Orientation(common.VizOrientationHorizontal).
		DisplayMode(common.BarGaugeDisplayModeBasic).
		ValueMode(common.BarGaugeValueModeText).
		ShowUnfilled(true).
		Min(0).
		Height(8).Span(12)
}

// newStateTimeline shows a state per series over time.
func newStateTimeline(title, description, unit string, t target) *statetimeline.PanelBuilder {
	return statetimeline.NewPanelBuilder().
		Title(title).Description(description).Unit(unit).
		Datasource(promDS).Targets(targets(t)).
		ShowValue(common.VisibilityModeNever).MergeValues(true).RowHeight(0.9).FillOpacity(80).LineWidth(0).
		Legend(common.NewVizLegendOptionsBuilder().
			ShowLegend(true).DisplayMode(common.LegendDisplayModeList).Placement(common.LegendPlacementBottom).Calcs([]string{})).
		Tooltip(common.NewVizTooltipOptionsBuilder().Mode(common.TooltipDisplayModeSingle).Sort(common.SortOrderNone)).
		Height(8).Span(24)
}

// column names one instant query's value in a table: its header and unit.
type column struct {
	header string
	unit   string
	target target
}

// newTable joins instant queries, one column each, on their labels: the "merge"
// transformation puts the values of one label set on one row.
func newTable(title, description string, hidden []string, cols ...column) *table.PanelBuilder {
	ts := make([]target, len(cols))
	rename := map[string]string{}
	exclude := map[string]bool{"Time": true}
	for _, h := range hidden {
		exclude[h] = true
	}
	p := table.NewPanelBuilder().Title(title).Description(description).Unit("none").Datasource(promDS)
	for i, c := range cols {
		c.target.instant, c.target.table = true, true
		ts[i] = c.target
		field := "Value #" + string(rune('A'+i))
		if len(cols) == 1 {
			field = "Value"
		}
		rename[field] = c.header
		// Overrides match the name a field has after the transformations.
		p.OverrideByName(c.header, []dashboard.DynamicConfigValue{{Id: "unit", Value: c.unit}})
	}
	return p.Targets(targets(ts...)).
		WithTransformation(dashboard.DataTransformerConfig{Id: "merge", Options: map[string]any{}}).
		WithTransformation(dashboard.DataTransformerConfig{Id: "organize", Options: map[string]any{
			"excludeByName": exclude, "renameByName": rename,
		}}).
		ShowHeader(true).CellHeight(common.TableCellHeightSm).
		Height(8).Span(24)
}

// datasourceVariable lets the user pick the Prometheus to query.
func datasourceVariable() *dashboard.DatasourceVariableBuilder {
	return dashboard.NewDatasourceVariableBuilder(DatasourceVariable).
		Label("Data source").Type(DatasourceType)
}

// labelVariable is a multi-value variable of a label's values, with "All".
func labelVariable(name, label, metric, allValue string) *dashboard.QueryVariableBuilder {
	q := "label_values(" + metric + ", " + name + ")"
	v := dashboard.NewQueryVariableBuilder(name).
		Label(label).
		Query(dashboard.StringOrMap{String: cog.ToPtr(q)}).
		Datasource(promDS).
		Multi(true).IncludeAll(true).
		Current(dashboard.VariableOption{Text: dashboard.StringOrArrayOfString{String: cog.ToPtr("All")}, Value: dashboard.StringOrArrayOfString{String: cog.ToPtr("$__all")}}).
		Refresh(dashboard.VariableRefreshOnTimeRangeChanged).
		Sort(dashboard.VariableSortAlphabeticalCaseInsensitiveAsc)
	if allValue != "" {
		v.AllValue(allValue)
	}
	return v
}

// newBoard starts a dashboard with the settings both share.
func newBoard(uid, title, description string) *dashboard.DashboardBuilder {
	return dashboard.NewDashboardBuilder(title).
		Uid(uid).Description(description).
		Tags([]string{"synthesisvr"}).
		Editable().
		Tooltip(dashboard.DashboardCursorSyncCrosshair).
		Refresh("1m").
		Time("now-24h", "now").
		Timezone(common.TimeZoneBrowser).
		WithVariable(datasourceVariable())
}

// finish numbers the panels and drops what @grafana/schema's Dashboard has no field
// for (dashboards/typecheck checks it).
func finish(d *dashboard.Dashboard) {
	numberPanels(d)
	// The SDK gives every variable the settings of an interval variable (auto,
	// auto_min, auto_count) and its definition, which the schema's VariableModel
	// does not have; Grafana recomputes a query variable's definition when edited.
	for i := range d.Templating.List {
		v := &d.Templating.List[i]
		v.Definition = nil
		if v.Type != dashboard.VariableTypeInterval {
			v.Auto, v.AutoMin, v.AutoCount = nil, nil, nil
		}
	}
	// The SDK's table options have the footer of Grafana before 12.2, which moved
	// it to the field config (footer.reducers); none is shown by default.
	var panels []*dashboard.Panel
	for _, p := range d.Panels {
		if p.Panel != nil {
			panels = append(panels, p.Panel)
		}
		if p.RowPanel != nil {
			for i := range p.RowPanel.Panels {
				panels = append(panels, &p.RowPanel.Panels[i])
			}
		}
	}
	for _, p := range panels {
		if o, ok := p.Options.(*table.Options); ok {
			o.Footer = nil
		}
	}
}

// numberPanels gives every panel and row an id, in order, since the SDK sets none
// and Grafana needs them unique (links, "view panel", library panels).
func numberPanels(d *dashboard.Dashboard) {
	for i := range d.Panels {
		id := uint32(i + 1)
		switch p := d.Panels[i]; {
		case p.Panel != nil:
			p.Panel.Id = &id
		case p.RowPanel != nil:
			p.RowPanel.Id = id
		}
	}
}
