// Package sla is the SLA clocks engine of parkdesk: commitment clocks on
// tickets, workflow stages, liaison calls and visits, driven by the events of
// intake, approval and liaison (Engine); warnings, breaches and the
// escalation ladder fired exactly once by a Scheduler whose cost follows the
// clocks due; supervision cards; extensions; and the managers' views
// (Service, MakeHTTPHandler, NewStreamHandler).
//
// The rules are in shared/DOMAIN.md ("SLA clocks"). Deadlines derive from
// facts and the park's working-day calendar (package calendar), so a
// calendar change recomputes every open clock exactly (Engine.RecomputePark,
// a calendar.ChangeHook).
//
// # Deadlines
//
// A clock counts office time from the first office instant of the first
// working day after its start (from the start itself for a budget in working
// hours). Its deadline is the instant it has counted its budget (extension
// included): AddWorkingDays(start, N+extension), pushed forward by the office
// time of every pause that began before that instant. Pause time before the
// count starts moves nothing (it was not being counted), and a pause that
// begins after the deadline does not move it. The clock turns yellow when WarnFraction (80%)
// of the budget is used or when the remaining time reaches the matter's warn
// threshold (default one working day), whichever comes first; the threshold
// in days applies only to budgets in days longer than it. A deadline the
// calendar cannot place (a year not loaded, a park without a calendar) stays
// unknown, and the clock unscheduled, until the park's calendar changes.
//
// # Decisions where the rules are silent
//
//   - States only move forward: a warning or breach that fired stays, even
//     when an extension or a calendar change later moves the deadline.
//     Extensions are asked for and granted only before the breach.
//   - A stop is late when it comes after the deadline, whatever the colour;
//     a stop at least one working day inside the budget counts as early.
//   - An extension moves the commitment deadline, not the legal one.
//   - Cards: red for an acceptance or resolution breach, yellow for a stage,
//     liaison response, verification, rectification or visit cadence
//     breach, none for a supplement clock (the firm's deadline). Notice
//     numbers run per park per calendar year (Asia/Shanghai) from the
//     notice_sequences row, updated in the firing transaction.
//   - Escalation rungs fall at the deadline, one and three working days of
//     office time after it. Only liaison response escalations are urgent;
//     every other notification waits for the next office-hours instant.
//   - Corrections and legal waits pause the resolution clock and the open
//     stage clocks of the workflow together. Materials supplied resume the
//     ticket's clocks paused for a correction, else (or when marked as
//     supplement) stop its supplement clock.
//   - A withdrawn or lapsed workflow cancels its resolution and stage clocks
//     (they do not count in the figures); a lapse stops the supplement clock.
//     A returned or closed liaison request cancels its dispatches' response
//     clocks.
//   - Each consumer reads its whole stream, so every aggregate's versions
//     arrive without gaps and are applied strictly in order (a gap is
//     retried, a stale version ignored). A dead-lettered event therefore
//     holds back the later events of its aggregate until an operator
//     re-publishes it.
//   - The acceptance clock's legal limit is five working days (行政许可法
//     §32 and §82).
//   - The department score is 100 × the on-time rate less 2 per yellow and
//     5 per red card (DepartmentScore).
package sla
