package calendar

import (
	"context"
	"encoding/json"
	"time"

	"github.com/lib/pq"
)

const (
	listenMinReconnect = 100 * time.Millisecond
	listenMaxReconnect = 5 * time.Second
	listenPing         = time.Minute
)

// Run listens to NotifyChannel on ListenDSN until ctx ends, dropping a
// park's cached calendar when another process commits a change to it, and
// every cached calendar whenever the listener (re)connects, because
// notifications sent while it was away are lost. Without ListenDSN it just
// waits for ctx. It returns nil when ctx ends, after the listener and every
// goroutine it started have stopped; a listener that cannot connect is
// logged and retried, the TTL keeping the cache bounded meanwhile.
func (c *Cache) Run(ctx context.Context) error {
	if c.cfg.ListenDSN == "" {
		<-ctx.Done()
		return nil
	}
	log := c.cfg.Logger.With("channel", NotifyChannel)
	l := pq.NewListener(c.cfg.ListenDSN, listenMinReconnect, listenMaxReconnect, func(ev pq.ListenerEventType, err error) {
		if err != nil {
			log.Warn("calendar cache listener", "event", int(ev), "err", err)
		}
	})
	listenDone := make(chan error, 1)
	go func() { listenDone <- l.Listen(NotifyChannel) }()
	awaitListen := true
	defer func() {
		_ = l.Close()
		if awaitListen {
			<-listenDone
		}
		for range l.Notify { // pq closes Notify once its connection loop has ended
		}
	}()
	ping := time.NewTicker(listenPing)
	defer ping.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-listenDone:
			awaitListen = false
			if err != nil {
				log.Error("calendar cache cannot listen; relying on its TTL", "err", err)
				continue
			}
			c.dropAll()
			c.listeningOnce.Do(func() { close(c.listening) })
		case n := <-l.Notify:
			if n == nil {
				c.dropAll()
				continue
			}
			c.notified(n.Extra)
		case <-ping.C:
			_ = l.Ping()
		}
	}
}

func (c *Cache) notified(payload string) {
	var msg struct {
		Park     string `json:"park"`
		Revision int64  `json:"revision"`
	}
	if err := json.Unmarshal([]byte(payload), &msg); err != nil || msg.Park == "" {
		c.cfg.Logger.Warn("calendar cache: unreadable notification; dropping every entry", "payload", payload)
		c.dropAll()
		return
	}
	c.changed(msg.Park, msg.Revision)
}
