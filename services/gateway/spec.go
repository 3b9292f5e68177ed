package gateway

// Spec is the OpenAPI fragment for the gateway's own routes.
func Spec(dev bool) map[string]any {
	paths := map[string]any{}
	if dev {
		paths["/v1/dev/clock"] = map[string]any{
			"get": map[string]any{"summary": "Dev stack time (dev only)", "responses": map[string]any{"200": map[string]any{"description": "now and offset"}}},
			"post": map[string]any{
				"summary": "Advance the dev stack's time for every service (dev only; manager, admin)",
				"requestBody": map[string]any{"content": map[string]any{"application/json": map[string]any{"schema": map[string]any{
					"type": "object", "properties": map[string]any{"advance": map[string]any{"type": "string", "example": "36h"}, "set": map[string]any{"type": "string", "format": "date-time"}},
				}}}},
				"responses": map[string]any{"200": map[string]any{"description": "now and offset"}},
			},
		}
	}
	return map[string]any{"paths": paths}
}
