// Package calendar owns the parks' working-day calendars in the sla service:
// the years each park has loaded (statutory holidays and make-up working
// days from the State Council notices), its office hours and time zone.
//
// Store persists them (tables parks and calendar_years in the sla schema,
// migrations in Migrations). Service is the use-case layer: reading a
// park's calendar, replacing a year (validated, idempotent, with the
// ChangeHook run in the same transaction) and answering deadlines (Due).
// Cache is the Source the SLA engine reads on hot paths; writers in this
// process refresh it directly and every replica learns of a change through
// PostgreSQL LISTEN/NOTIFY on NotifyChannel, with a TTL as a backstop.
// MakeHTTPHandler and OpenAPI expose the service under /v1/calendars; Seed
// loads the shipped seeds.
//
// A deadline that needs a year the park has not loaded is refused
// (fault.ErrUnprocessable naming the year); nothing guesses from weekdays.
package calendar
