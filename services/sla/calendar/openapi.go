package calendar

type obj = map[string]any

// OpenAPI returns the OpenAPI 3.1 fragment of the calendar routes: "paths"
// and "components.schemas", for the gateway to merge.
func OpenAPI() map[string]any {
	park := obj{"name": "park", "in": "path", "required": true, "description": "Park id, e.g. wangcheng.",
		"schema": obj{"type": "string", "pattern": parkIDPattern.String()}}
	return obj{
		"paths": obj{
			"/v1/calendars/{park}": obj{"get": obj{
				"operationId": "getCalendar",
				"tags":        []any{"calendars"},
				"summary":     "The park's working-day calendar (manager of the park, admin)",
				"parameters":  []any{park},
				"responses":   responses("200", "The calendar", "CalendarView", "401", "403", "404"),
			}},
			"/v1/calendars/{park}/{year}": obj{"put": obj{
				"operationId": "putCalendarYear",
				"tags":        []any{"calendars"},
				"summary":     "Replace one year of the park's calendar (manager of the park, admin); idempotent",
				"description": "Validation failures name the field (year, source, off[i], work[i]); nothing is written.",
				"parameters": []any{park, obj{"name": "year", "in": "path", "required": true,
					"schema": obj{"type": "integer", "minimum": MinYear, "maximum": MaxYear}}},
				"requestBody": obj{"required": true, "content": obj{"application/json": obj{"schema": ref("CalendarYearInput")}}},
				"responses":   responses("200", "The park's whole calendar after the change", "CalendarView", "400", "401", "403", "404"),
			}},
			"/v1/calendars/{park}/due": obj{"get": obj{
				"operationId": "getCalendarDue",
				"tags":        []any{"calendars"},
				"summary":     "The deadline (预计办结时间) N working days or N working hours after start (anyone signed in to the park)",
				"parameters": []any{park,
					obj{"name": "start", "in": "query", "required": true, "schema": obj{"type": "string", "format": "date-time"},
						"example": "2026-09-18T10:00:00+08:00"},
					obj{"name": "working_days", "in": "query", "description": "Give this or working_hours.",
						"schema": obj{"type": "integer", "minimum": 1, "maximum": MaxWorkingDays}},
					obj{"name": "working_hours", "in": "query", "description": "Give this or working_days.",
						"schema": obj{"type": "integer", "minimum": 1, "maximum": MaxWorkingHours}},
				},
				"responses": responses("200", "The deadline", "CalendarDue", "400", "401", "403", "404", "422"),
			}},
		},
		"components": obj{"schemas": obj{
			"CalendarView":      calendarViewSchema(),
			"CalendarYear":      calendarYearSchema(),
			"CalendarYearInput": calendarYearInputSchema(),
			"CalendarDue":       calendarDueSchema(),
			"Problem":           problemSchema(),
		}},
	}
}

func ref(name string) obj { return obj{"$ref": "#/components/schemas/" + name} }

func responses(ok, desc, schema string, problems ...string) obj {
	r := obj{ok: obj{"description": desc, "content": obj{"application/json": obj{"schema": ref(schema)}}}}
	text := map[string]string{
		"400": "Invalid request; errors name the fields",
		"401": "Missing or invalid bearer token",
		"403": "Not allowed for this caller or park",
		"404": "Unknown park",
		"422": "The deadline reaches a calendar year the park has not loaded",
	}
	for _, code := range problems {
		r[code] = obj{"description": text[code], "content": obj{"application/problem+json": obj{"schema": ref("Problem")}}}
	}
	return r
}

func dates(desc string) obj {
	return obj{"type": "array", "description": desc, "items": obj{"type": "string", "format": "date"}}
}

var officeHoursSchema = obj{"type": "array", "items": obj{"type": "string", "example": "09:00-12:00"}}

func calendarViewSchema() obj {
	return obj{"type": "object",
		"required": []any{"park", "name", "timezone", "office_hours", "revision", "loaded_years", "years"},
		"properties": obj{
			"park":         obj{"type": "string"},
			"name":         obj{"type": "string"},
			"timezone":     obj{"type": "string", "example": "Asia/Shanghai"},
			"office_hours": officeHoursSchema,
			"revision":     obj{"type": "integer", "description": "Grows by one with every change to the park's years."},
			"loaded_years": obj{"type": "array", "items": obj{"type": "integer"}},
			"years":        obj{"type": "array", "items": ref("CalendarYear")},
		}}
}

func calendarYearSchema() obj {
	return obj{"type": "object",
		"required": []any{"year", "source", "off", "work", "version", "updated_at", "updated_by"},
		"properties": obj{
			"year":       obj{"type": "integer"},
			"source":     obj{"type": "string"},
			"off":        dates("Holidays and holiday-adjusted rest days, sorted."),
			"work":       dates("Weekend days worked instead (调休上班), sorted."),
			"version":    obj{"type": "integer", "description": "Starts at 1; grows only when the content changes."},
			"updated_at": obj{"type": "string", "format": "date-time"},
			"updated_by": obj{"type": "string"},
		}}
}

func calendarYearInputSchema() obj {
	return obj{"type": "object", "additionalProperties": false,
		"required": []any{"source"},
		"properties": obj{
			"year":   obj{"type": "integer", "description": "Optional; must equal the year in the path."},
			"source": obj{"type": "string", "minLength": 1, "maxLength": MaxSourceLen, "description": "The notice the dates come from."},
			"off":    dates("Dates off work, all in the year; weekend dates allowed."),
			"work":   dates("Saturdays or Sundays worked instead, all in the year; none also in off."),
		}}
}

func calendarDueSchema() obj {
	return obj{"type": "object",
		"required": []any{"park", "start", "deadline", "rule", "explanation", "calendar_years", "timezone", "office_hours"},
		"properties": obj{
			"park":           obj{"type": "string"},
			"start":          obj{"type": "string", "format": "date-time"},
			"deadline":       obj{"type": "string", "format": "date-time", "example": "2026-09-22T17:30:00+08:00"},
			"working_days":   obj{"type": "integer"},
			"working_hours":  obj{"type": "integer"},
			"rule":           obj{"type": "string", "enum": []any{RuleWorkingDays, RuleWorkingHours}},
			"explanation":    obj{"type": "string"},
			"calendar_years": obj{"type": "array", "items": obj{"type": "integer"}},
			"timezone":       obj{"type": "string"},
			"office_hours":   officeHoursSchema,
		}}
}

func problemSchema() obj {
	return obj{"type": "object", "description": "RFC 9457 problem details",
		"required": []any{"type", "title", "status"},
		"properties": obj{
			"type":       obj{"type": "string"},
			"title":      obj{"type": "string"},
			"status":     obj{"type": "integer"},
			"detail":     obj{"type": "string"},
			"instance":   obj{"type": "string"},
			"request_id": obj{"type": "string"},
			"errors": obj{"type": "array", "items": obj{"type": "object",
				"properties": obj{"field": obj{"type": "string"}, "reason": obj{"type": "string"}}}},
		}}
}
