package outbox

// SetAfterPublish installs the crash hook between PubAck and mark-sent.
func (c *RelayConfig) SetAfterPublish(f func() error) { c.afterPublish = f }
