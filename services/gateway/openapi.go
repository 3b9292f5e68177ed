package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"time"
)

// OpenAPI serves /openapi.json: the gateway's own spec merged with each
// upstream's /openapi.json (paths and component schemas). An upstream that
// does not answer is listed under x-missing rather than failing the document.
func OpenAPI(own map[string]any, upstreams []*url.URL, client *http.Client) http.Handler {
	if client == nil {
		client = &http.Client{Timeout: 3 * time.Second}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		doc := map[string]any{
			"openapi": "3.1.0",
			"info":    map[string]any{"title": "parkdesk public API", "version": "v1"},
			"components": map[string]any{
				"securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
				"schemas":         map[string]any{},
			},
			"security": []any{map[string]any{"bearer": []any{}}},
			"paths":    map[string]any{},
		}
		merge(doc, own)
		var missing []string
		for _, u := range upstreams {
			spec, err := fetch(r.Context(), client, u)
			if err != nil {
				missing = append(missing, u.Host)
				continue
			}
			merge(doc, spec)
		}
		if len(missing) > 0 {
			sort.Strings(missing)
			doc["x-missing"] = missing
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(doc)
	})
}

func fetch(ctx context.Context, client *http.Client, base *url.URL) (map[string]any, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base.JoinPath("/openapi.json").String(), nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: status %d", base.Host, resp.StatusCode)
	}
	var spec map[string]any
	return spec, json.NewDecoder(resp.Body).Decode(&spec)
}

func merge(doc, spec map[string]any) {
	if spec == nil {
		return
	}
	paths := doc["paths"].(map[string]any)
	if p, ok := spec["paths"].(map[string]any); ok {
		for k, v := range p {
			paths[k] = v
		}
	}
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	if c, ok := spec["components"].(map[string]any); ok {
		if s, ok := c["schemas"].(map[string]any); ok {
			for k, v := range s {
				schemas[k] = v
			}
		}
	}
}
