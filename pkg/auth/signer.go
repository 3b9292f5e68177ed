package auth

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// claims is the JWT payload of a parkdesk token.
type claims struct {
	jwt.RegisteredClaims
	Role         Role     `json:"role"`
	Park         string   `json:"park,omitempty"`
	EnterpriseID string   `json:"enterprise_id,omitempty"`
	OfficerID    string   `json:"officer_id,omitempty"`
	Departments  []string `json:"departments,omitempty"`
}

func (c claims) principal() Principal {
	return Principal{
		Subject:      c.Subject,
		Role:         c.Role,
		Park:         c.Park,
		EnterpriseID: c.EnterpriseID,
		OfficerID:    c.OfficerID,
		Departments:  c.Departments,
	}
}

// Signer issues tokens. It exists for the dev stack's token issuer and for
// tests; production tokens come from the identity provider.
type Signer struct {
	method   jwt.SigningMethod
	key      any
	issuer   string
	audience string
}

// NewHMACSigner returns a Signer issuing HS256 tokens.
func NewHMACSigner(secret, issuer, audience string) (*Signer, error) {
	if len(secret) < MinHMACSecret {
		return nil, fmt.Errorf("auth: new HMAC signer: secret must be at least %d bytes", MinHMACSecret)
	}
	return newSigner(jwt.SigningMethodHS256, []byte(secret), issuer, audience)
}

// NewEd25519Signer returns a Signer issuing EdDSA tokens.
func NewEd25519Signer(priv ed25519.PrivateKey, issuer, audience string) (*Signer, error) {
	if len(priv) != ed25519.PrivateKeySize {
		return nil, errors.New("auth: new Ed25519 signer: invalid private key")
	}
	return newSigner(jwt.SigningMethodEdDSA, priv, issuer, audience)
}

func newSigner(m jwt.SigningMethod, key any, issuer, audience string) (*Signer, error) {
	if issuer == "" || audience == "" {
		return nil, errors.New("auth: new signer: issuer and audience are required")
	}
	return &Signer{method: m, key: key, issuer: issuer, audience: audience}, nil
}

// Sign returns a token for p valid for ttl from now. p must pass Validate.
func (s *Signer) Sign(p Principal, ttl time.Duration) (string, error) {
	if err := p.Validate(); err != nil {
		return "", fmt.Errorf("auth: sign: %w", err)
	}
	if ttl <= 0 {
		return "", errors.New("auth: sign: ttl must be positive")
	}
	id, err := uuid.NewV7()
	if err != nil {
		return "", fmt.Errorf("auth: sign: token id: %w", err)
	}
	now := time.Now().Truncate(time.Second)
	c := claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    s.issuer,
			Subject:   p.Subject,
			Audience:  jwt.ClaimStrings{s.audience},
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
			NotBefore: jwt.NewNumericDate(now),
			IssuedAt:  jwt.NewNumericDate(now),
			ID:        id.String(),
		},
		Role:         p.Role,
		Park:         p.Park,
		EnterpriseID: p.EnterpriseID,
		OfficerID:    p.OfficerID,
		Departments:  p.Departments,
	}
	tok, err := jwt.NewWithClaims(s.method, c).SignedString(s.key)
	if err != nil {
		return "", fmt.Errorf("auth: sign: %w", err)
	}
	return tok, nil
}
