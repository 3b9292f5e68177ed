package calendar

import (
	"context"
	"log/slog"
	"time"

	"github.com/parkdesk/parkdesk/pkg/fault"
	"github.com/parkdesk/parkdesk/pkg/workday"
)

// LoggingMiddleware logs every call with its park, duration and outcome:
// business errors (fault kinds) at info, anything else at error. It panics
// when logger is nil.
func LoggingMiddleware(logger *slog.Logger) Middleware {
	if logger == nil {
		panic("calendar: LoggingMiddleware: nil logger")
	}
	return func(next Service) Service { return &loggingService{logger: logger, next: next} }
}

type loggingService struct {
	logger *slog.Logger
	next   Service
}

func (s *loggingService) Get(ctx context.Context, park string) (v View, err error) {
	defer s.log(ctx, time.Now(), "get", &err, slog.String("park", park))
	return s.next.Get(ctx, park)
}

func (s *loggingService) PutYear(ctx context.Context, park string, y workday.Year) (v View, err error) {
	defer s.log(ctx, time.Now(), "put_year", &err, slog.String("park", park), slog.Int("year", y.Year),
		slog.Int("off", len(y.Off)), slog.Int("work", len(y.Work)))
	return s.next.PutYear(ctx, park, y)
}

func (s *loggingService) Due(ctx context.Context, park string, start time.Time, workingDays, workingHours int) (d Due, err error) {
	defer s.log(ctx, time.Now(), "due", &err, slog.String("park", park), slog.Time("start", start),
		slog.Int("working_days", workingDays), slog.Int("working_hours", workingHours))
	return s.next.Due(ctx, park, start, workingDays, workingHours)
}

func (s *loggingService) log(ctx context.Context, begin time.Time, method string, err *error, attrs ...slog.Attr) {
	level := slog.LevelInfo
	attrs = append(attrs, slog.String("method", method), slog.Duration("took", time.Since(begin)))
	if *err != nil {
		attrs = append(attrs, slog.String("err", (*err).Error()))
		if fault.KindOf(*err) == nil {
			level = slog.LevelError
		}
	}
	s.logger.LogAttrs(ctx, level, "calendar", attrs...)
}
