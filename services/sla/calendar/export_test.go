package calendar

// Listening returns a channel closed once c's Run is listening, so a test
// knows that a notification sent from then on reaches c.
func Listening(c *Cache) <-chan struct{} { return c.listening }
