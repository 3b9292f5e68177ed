package calendar_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/parkdesk/parkdesk/services/sla/calendar"
)

func TestOpenAPIFragmentCoversTheRoutesAndResolves(t *testing.T) {
	spec := calendar.OpenAPI()
	raw, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Schemas map[string]json.RawMessage `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	routes := []struct{ path, method string }{
		{"/v1/calendars/{park}", "get"},
		{"/v1/calendars/{park}/{year}", "put"},
		{"/v1/calendars/{park}/due", "get"},
	}
	for _, r := range routes {
		if _, ok := doc.Paths[r.path][r.method]; !ok {
			t.Errorf("no %s %s in the fragment", r.method, r.path)
		}
	}
	for _, part := range strings.Split(string(raw), `"$ref":"#/components/schemas/`)[1:] {
		name, _, _ := strings.Cut(part, `"`)
		if _, ok := doc.Components.Schemas[name]; !ok {
			t.Errorf("$ref to missing schema %s", name)
		}
	}
}
