package config

import (
	"errors"
	"fmt"

	"go.yaml.in/yaml/v3"
)

// Hours is one day key's value: a single string ("10:00-22:00", "closed") or a list of
// strings; it unmarshals from either.
type Hours []string

const hoursShape = `must be a string such as "10:00-22:00" or "closed", or a list of such strings`

// UnmarshalYAML accepts a single string or a list of strings.
func (h *Hours) UnmarshalYAML(n *yaml.Node) error {
	v, bad, err := decodeHours(deref(n))
	if err != nil {
		return fmt.Errorf("line %d: %w", bad.Line, err)
	}
	*h = v
	return nil
}

// decodeHours checks the shape of one day's hours and returns the node at fault on error.
// A missing or empty value is an error too: a closed day is written "closed", so that
// leaving a day out and closing it cannot be confused.
func decodeHours(n *yaml.Node) (Hours, *yaml.Node, error) {
	switch {
	case n.Kind == yaml.ScalarNode && !isNull(n):
		return Hours{n.Value}, nil, nil
	case n.Kind != yaml.SequenceNode:
		return nil, n, fmt.Errorf("%s, got %s", hoursShape, describe(n))
	case len(n.Content) == 0:
		return nil, n, errors.New(hoursShape + `, got an empty list; write "closed" for a closed day`)
	}
	h := make(Hours, 0, len(n.Content))
	for _, item := range n.Content {
		item = deref(item)
		if item.Kind != yaml.ScalarNode || isNull(item) {
			return nil, item, fmt.Errorf("%s, got a list holding %s", hoursShape, describe(item))
		}
		h = append(h, item.Value)
	}
	return h, nil, nil
}
