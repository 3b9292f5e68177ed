package httpx

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	httptransport "github.com/go-kit/kit/transport/http"

	"github.com/parkdesk/parkdesk/pkg/fault"
)

// ProblemContentType is the media type of error responses.
const ProblemContentType = "application/problem+json"

// Problem is an RFC 9457 problem details body.
type Problem struct {
	// Type is a URI identifying the problem type; "about:blank" means the
	// status code says it all.
	Type string `json:"type"`
	// Title is the short summary of the type: the status text.
	Title string `json:"title"`
	// Status repeats the HTTP status code.
	Status int `json:"status"`
	// Detail explains this occurrence to the caller. For 5xx it is generic.
	Detail string `json:"detail,omitempty"`
	// Instance is the request path the problem occurred on.
	Instance string `json:"instance,omitempty"`
	// RequestID is the X-Request-Id to quote when reporting the problem.
	RequestID string `json:"request_id,omitempty"`
	// Errors lists offending fields for validation problems.
	Errors []fault.FieldError `json:"errors,omitempty"`
}

// NewProblem builds the problem for err. Client errors carry the error's
// caller-facing message and field list; server errors carry a generic detail
// so that internals never leak.
func NewProblem(ctx context.Context, err error, instance string) Problem {
	status := StatusOf(err)
	p := Problem{
		Type:      "about:blank",
		Title:     statusText(status),
		Status:    status,
		Instance:  instance,
		RequestID: RequestIDFrom(ctx),
	}
	if status >= 500 || status == StatusClientClosedRequest {
		p.Detail = serverDetail(status)
		return p
	}
	var ve *fault.ValidationError
	var fe *fault.Error
	switch {
	case errors.As(err, &ve):
		p.Detail = ve.Error()
		p.Errors = ve.Fields
	case errors.As(err, &fe):
		p.Detail = fe.Msg
	case err != nil:
		p.Detail = err.Error()
	}
	return p
}

// WriteProblem writes err to w as problem+json with the status StatusOf
// gives. Server errors are logged with slog.Default, since their detail is
// not sent; ErrorEncoder takes an explicit logger instead.
func WriteProblem(w http.ResponseWriter, r *http.Request, err error) {
	writeProblem(r.Context(), w, err, r.URL.Path, slog.Default())
}

// ErrorEncoder returns a go-kit error encoder writing problem+json and
// logging server errors to logger. The instance is the request path when the
// server runs httptransport.PopulateRequestContext. It panics when logger is
// nil.
func ErrorEncoder(logger *slog.Logger) httptransport.ErrorEncoder {
	if logger == nil {
		panic("httpx: ErrorEncoder: nil logger")
	}
	return func(ctx context.Context, err error, w http.ResponseWriter) {
		path, _ := ctx.Value(httptransport.ContextKeyRequestPath).(string)
		writeProblem(ctx, w, err, path, logger)
	}
}

func writeProblem(ctx context.Context, w http.ResponseWriter, err error, instance string, logger *slog.Logger) {
	p := NewProblem(ctx, err, instance)
	if p.Status >= 500 {
		logger.ErrorContext(ctx, "request failed", "status", p.Status, "err", err)
	}
	if p.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", "Bearer")
	}
	writeProblemBody(w, p)
}

func writeProblemBody(w http.ResponseWriter, p Problem) {
	body, err := json.Marshal(p)
	if err != nil {
		body = []byte(`{"type":"about:blank","title":"Internal Server Error","status":500}`)
		p.Status = http.StatusInternalServerError
	}
	h := w.Header()
	h.Set("Content-Type", ProblemContentType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Del("Content-Length")
	w.WriteHeader(p.Status)
	_, _ = w.Write(append(body, '\n'))
}

func statusText(status int) string {
	if status == StatusClientClosedRequest {
		return "Client Closed Request"
	}
	if t := http.StatusText(status); t != "" {
		return t
	}
	return "Error"
}

func serverDetail(status int) string {
	switch status {
	case http.StatusServiceUnavailable:
		return "The service is temporarily unavailable; retry later."
	case http.StatusGatewayTimeout:
		return "The request took too long and was abandoned."
	case StatusClientClosedRequest:
		return "The client closed the request."
	}
	return "An internal error occurred; quote the request id when reporting it."
}
