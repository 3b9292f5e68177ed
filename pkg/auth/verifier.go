package auth

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/parkdesk/parkdesk/pkg/clock"
	"github.com/parkdesk/parkdesk/pkg/fault"
)

// MinHMACSecret is the shortest HMAC secret accepted, in bytes (RFC 7518
// asks for a key at least as long as the HS256 hash).
const MinHMACSecret = 32

// MaxLeeway is the largest clock skew Config accepts.
const MaxLeeway = 5 * time.Minute

// Config says which tokens a Verifier accepts. Exactly one key kind is set.
type Config struct {
	// Issuer is the required iss claim. Required.
	Issuer string
	// Audience is the required aud claim. Required.
	Audience string
	// HMACSecret verifies HS256 tokens; at least MinHMACSecret bytes.
	// Default: unset.
	HMACSecret string
	// Ed25519PublicKeysPEM verify EdDSA tokens; each a PEM "PUBLIC KEY"
	// block. A token verified by any of them is accepted, so keys can be
	// rotated. Default: unset.
	Ed25519PublicKeysPEM []string
	// Leeway is the clock skew tolerated on exp, nbf and iat; 0 to
	// MaxLeeway. Default: 0.
	Leeway time.Duration
	// Clock tells the verification time. Default: clock.System(). Token
	// lifetimes are real-world time: keep the system clock even where the
	// dev stack runs on an Offset clock.
	Clock clock.Clock
}

// Validate reports every configuration problem at once.
func (c Config) Validate() error {
	var errs []error
	if c.Issuer == "" {
		errs = append(errs, errors.New("issuer is required"))
	}
	if c.Audience == "" {
		errs = append(errs, errors.New("audience is required"))
	}
	switch hasHMAC, hasEd := c.HMACSecret != "", len(c.Ed25519PublicKeysPEM) > 0; {
	case hasHMAC == hasEd:
		errs = append(errs, errors.New("exactly one of HMAC secret and Ed25519 public keys is required"))
	case hasHMAC && len(c.HMACSecret) < MinHMACSecret:
		errs = append(errs, fmt.Errorf("HMAC secret must be at least %d bytes", MinHMACSecret))
	case hasEd:
		if _, err := parseEd25519Keys(c.Ed25519PublicKeysPEM); err != nil {
			errs = append(errs, err)
		}
	}
	if c.Leeway < 0 || c.Leeway > MaxLeeway {
		errs = append(errs, fmt.Errorf("leeway must be between 0 and %s", MaxLeeway))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("auth: config: %w", err)
	}
	return nil
}

// Verifier checks bearer tokens and turns them into Principals. It is safe
// for concurrent use.
type Verifier struct {
	parser *jwt.Parser
	key    any
}

// NewVerifier returns a Verifier for cfg, or an error when cfg is invalid.
func NewVerifier(cfg Config) (*Verifier, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	clk := cfg.Clock
	if clk == nil {
		clk = clock.System()
	}
	opts := []jwt.ParserOption{
		jwt.WithIssuer(cfg.Issuer),
		jwt.WithAudience(cfg.Audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(cfg.Leeway),
		jwt.WithTimeFunc(clk.Now),
		jwt.WithStrictDecoding(),
	}
	v := &Verifier{}
	if cfg.HMACSecret != "" {
		v.key = []byte(cfg.HMACSecret)
		opts = append(opts, jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}))
	} else {
		keys, err := parseEd25519Keys(cfg.Ed25519PublicKeysPEM)
		if err != nil {
			return nil, err
		}
		set := jwt.VerificationKeySet{}
		for _, k := range keys {
			set.Keys = append(set.Keys, k)
		}
		v.key = set
		opts = append(opts, jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg()}))
	}
	v.parser = jwt.NewParser(opts...)
	return v, nil
}

// Verify checks token's algorithm, signature, exp, nbf, iat, iss and aud and
// the scope of its claims, and returns its Principal. Every failure is a
// fault.ErrUnauthenticated error; the jwt cause is kept for logs only.
func (v *Verifier) Verify(token string) (Principal, error) {
	var c claims
	if _, err := v.parser.ParseWithClaims(token, &c, v.keyFunc); err != nil {
		msg := "invalid token"
		switch {
		case errors.Is(err, jwt.ErrTokenExpired):
			msg = "token expired"
		case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
			msg = "token not valid yet"
		}
		return Principal{}, fault.Wrap(fault.ErrUnauthenticated, msg, fmt.Errorf("auth: verify: %w", err))
	}
	p := c.principal()
	if err := p.Validate(); err != nil {
		// %v, not %w: the scope's ErrInvalid must not make this a 400.
		return Principal{}, fault.Wrap(fault.ErrUnauthenticated, "token scope invalid", fmt.Errorf("auth: verify: %v", err))
	}
	return p, nil
}

// keyFunc hands out the configured key only for the configured algorithm
// family, so an HS256 token can never be checked against an Ed25519 public
// key's bytes (algorithm confusion), whatever WithValidMethods says.
func (v *Verifier) keyFunc(t *jwt.Token) (any, error) {
	switch t.Method.(type) {
	case *jwt.SigningMethodHMAC:
		if k, ok := v.key.([]byte); ok {
			return k, nil
		}
	case *jwt.SigningMethodEd25519:
		if k, ok := v.key.(jwt.VerificationKeySet); ok {
			return k, nil
		}
	}
	return nil, fmt.Errorf("unexpected signing method %v", t.Header["alg"])
}

func parseEd25519Keys(pems []string) ([]ed25519.PublicKey, error) {
	keys := make([]ed25519.PublicKey, 0, len(pems))
	for i, p := range pems {
		k, err := jwt.ParseEdPublicKeyFromPEM([]byte(p))
		if err != nil {
			return nil, fmt.Errorf("Ed25519 public key %d: %w", i, err)
		}
		pub, ok := k.(ed25519.PublicKey)
		if !ok {
			return nil, fmt.Errorf("Ed25519 public key %d: not an Ed25519 key", i)
		}
		keys = append(keys, pub)
	}
	return keys, nil
}
