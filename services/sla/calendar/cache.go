package calendar

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/parkdesk/parkdesk/pkg/clock"
	"github.com/parkdesk/parkdesk/pkg/db"
	"github.com/parkdesk/parkdesk/pkg/workday"
)

// CacheConfig configures a Cache.
type CacheConfig struct {
	// ListenDSN is a PostgreSQL URL on which Run listens to NotifyChannel,
	// so that a change committed by any replica drops the cached calendar.
	// Empty means no listening: entries then live for TTL only.
	ListenDSN string
	// TTL bounds how long a cached calendar is served without reloading it,
	// since notifications sent while the listener is disconnected are lost.
	// Default 30s.
	TTL time.Duration
	// Clock measures TTL. Default clock.System().
	Clock clock.Clock
	// Logger receives listener problems. Default slog.Default().
	Logger *slog.Logger
}

// Validate fills defaults and checks the config.
func (c *CacheConfig) Validate() error {
	if c.TTL < 0 {
		return fmt.Errorf("calendar cache config: TTL %s is negative", c.TTL)
	}
	if c.TTL == 0 {
		c.TTL = 30 * time.Second
	}
	if c.Clock == nil {
		c.Clock = clock.System()
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.ListenDSN != "" {
		dsn, err := db.DSN(c.ListenDSN, "")
		if err != nil {
			return fmt.Errorf("calendar cache config: ListenDSN: %w", err)
		}
		c.ListenDSN = dsn
	}
	return nil
}

// Cache is the Source the SLA engine reads on its hot paths: each park's
// calendar is kept in memory and reloaded from the Store after TTL, after
// a notification of a change (Run), or when the writer in this process
// hands it the new calendar (Put). It is safe for concurrent use.
type Cache struct {
	store *Store
	cfg   CacheConfig

	mu      sync.Mutex
	entries map[string]cacheEntry
	floor   map[string]int64 // the newest revision known to exist, per park
	epoch   uint64           // bumped when every entry is dropped

	listening     chan struct{}
	listeningOnce sync.Once
}

type cacheEntry struct {
	cal      *workday.Calendar
	revision int64
	loaded   time.Time
}

var _ Source = (*Cache)(nil)

// NewCache returns a Cache loading calendars from store.
func NewCache(store *Store, cfg CacheConfig) (*Cache, error) {
	if store == nil {
		return nil, errors.New("calendar: new cache: nil store")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Cache{
		store:     store,
		cfg:       cfg,
		entries:   map[string]cacheEntry{},
		floor:     map[string]int64{},
		listening: make(chan struct{}),
	}, nil
}

// ForPark returns the park's calendar, from memory when it is fresh. An
// unknown park is a fault.ErrNotFound error and is not cached.
func (c *Cache) ForPark(ctx context.Context, park string) (*workday.Calendar, error) {
	now := c.cfg.Clock.Now()
	c.mu.Lock()
	e, ok := c.entries[park]
	epoch := c.epoch
	c.mu.Unlock()
	if ok && now.Sub(e.loaded) < c.cfg.TTL {
		return e.cal, nil
	}
	pc, err := c.store.Load(ctx, park)
	if err != nil {
		return nil, err
	}
	cal, err := pc.Calendar()
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.epoch == epoch {
		c.putLocked(park, cal, pc.Revision, now)
	}
	c.mu.Unlock()
	return cal, nil
}

// Put caches cal as the park's calendar at revision, unless a newer
// revision is cached or known to exist. The writer calls it after commit.
func (c *Cache) Put(park string, cal *workday.Calendar, revision int64) {
	if cal == nil {
		return
	}
	now := c.cfg.Clock.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.raiseFloorLocked(park, revision)
	c.putLocked(park, cal, revision, now)
}

func (c *Cache) putLocked(park string, cal *workday.Calendar, revision int64, at time.Time) {
	if revision < c.floor[park] {
		return
	}
	if e, ok := c.entries[park]; ok && e.revision > revision {
		return
	}
	c.entries[park] = cacheEntry{cal: cal, revision: revision, loaded: at}
}

// changed records that the park's calendar reached revision, dropping an
// older entry; a load that began before and ends after is not cached.
func (c *Cache) changed(park string, revision int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.raiseFloorLocked(park, revision)
	if e, ok := c.entries[park]; ok && e.revision < revision {
		delete(c.entries, park)
	}
}

func (c *Cache) raiseFloorLocked(park string, revision int64) {
	if revision > c.floor[park] {
		c.floor[park] = revision
	}
}

// dropAll forgets every entry; loads under way when it is called are not
// cached.
func (c *Cache) dropAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	clear(c.entries)
}
