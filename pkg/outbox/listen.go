package outbox

import (
	"time"

	"github.com/lib/pq"
)

// listen subscribes to the schema's NOTIFY channel. The returned channel gets a
// value per notification and after every reconnect (notifications sent while
// disconnected are lost, so the relay re-polls). Without ListenDSN it never fires.
func (r *Relay) listen() (<-chan struct{}, func()) {
	wake := make(chan struct{}, 1)
	if r.cfg.ListenDSN == "" {
		return wake, func() {}
	}
	l := pq.NewListener(r.cfg.ListenDSN, 100*time.Millisecond, 10*time.Second, func(ev pq.ListenerEventType, err error) {
		if err != nil {
			r.cfg.Logger.Warn("outbox listener", "schema", r.cfg.Schema, "event", int(ev), "err", err)
		}
	})
	if err := l.Listen(Channel(r.cfg.Schema)); err != nil {
		r.cfg.Logger.Warn("outbox listen failed; polling only", "schema", r.cfg.Schema, "err", err)
	}
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			case <-l.Notify: // nil after a reconnect: wake anyway to re-poll
				select {
				case wake <- struct{}{}:
				default:
				}
			}
		}
	}()
	return wake, func() {
		close(done)
		l.Close()
	}
}
