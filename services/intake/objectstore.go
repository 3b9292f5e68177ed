package intake

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// MaterialsBucket is the JetStream Object Store bucket holding material content.
const MaterialsBucket = "intake_materials"

// JetStreamObjects keeps material content in a JetStream Object Store
// bucket, one object per distinct content, named by its hex SHA-256.
type JetStreamObjects struct {
	store  jetstream.ObjectStore
	bucket string
}

// NewJetStreamObjects declares (idempotently) the bucket and returns the store.
// maxBytes bounds the whole bucket (0: unlimited); replicas defaults to 1.
func NewJetStreamObjects(ctx context.Context, js jetstream.JetStream, bucket string, maxBytes int64, replicas int) (*JetStreamObjects, error) {
	if bucket == "" {
		bucket = MaterialsBucket
	}
	cfg := jetstream.ObjectStoreConfig{Bucket: bucket, Description: "parkdesk intake: material content by SHA-256",
		Replicas: max(replicas, 1)}
	if maxBytes > 0 {
		cfg.MaxBytes = maxBytes
	}
	store, err := js.CreateOrUpdateObjectStore(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("object store %s: %w", bucket, err)
	}
	return &JetStreamObjects{store: store, bucket: bucket}, nil
}

// Ref is the reference of content in bucket.
func Ref(bucket, sha256 string) string { return "nats-os://" + bucket + "/" + sha256 }

// Put stores content under its hash unless an object of that hash and size is there already.
func (o *JetStreamObjects) Put(ctx context.Context, sha256, mediaType string, content []byte) (string, error) {
	info, err := o.store.GetInfo(ctx, sha256)
	switch {
	case err == nil && !info.Deleted && info.Size == uint64(len(content)):
		return Ref(o.bucket, sha256), nil
	case err != nil && !errors.Is(err, jetstream.ErrObjectNotFound):
		return "", fmt.Errorf("object info %s: %w", sha256, err)
	}
	meta := jetstream.ObjectMeta{Name: sha256, Headers: nats.Header{"Content-Type": []string{mediaType}}}
	if _, err := o.store.Put(ctx, meta, bytes.NewReader(content)); err != nil {
		return "", fmt.Errorf("put object %s: %w", sha256, err)
	}
	return Ref(o.bucket, sha256), nil
}

// Get returns the content stored under a hash.
func (o *JetStreamObjects) Get(ctx context.Context, sha256 string) ([]byte, error) {
	return o.store.GetBytes(ctx, sha256)
}
