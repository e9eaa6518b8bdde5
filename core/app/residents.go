package app

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/identity"
)

// What the resident domain asks of the others, connected here and nowhere
// else: the property package's rooms and identity's accounts. No rule lives
// here; each adapter only calls the other side.

// residentAccounts answers resident.Accounts from identity's users.
type residentAccounts struct{ ids *identity.Service }

func (r residentAccounts) AccountKind(ctx context.Context, tenantID, userID uuid.UUID) (string, bool, error) {
	u, err := r.ids.GetUser(ctx, tenantID, userID)
	if errors.Is(err, apperr.NotFound) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return u.Kind, true, nil
}

func (r residentAccounts) AccountByUsername(ctx context.Context, tenantID uuid.UUID, username string) (uuid.UUID, bool, error) {
	return findUser(ctx, r.ids, tenantID, username)
}

// findUser finds a user of the tenant by exact username (the manifest's
// names for demo data).
func findUser(ctx context.Context, ids *identity.Service, tenantID uuid.UUID, username string) (uuid.UUID, bool, error) {
	us, _, err := ids.ListUsers(ctx, tenantID, identity.UserFilter{Q: username, Limit: 50})
	for _, u := range us {
		if u.Username == username {
			return u.ID, true, nil
		}
	}
	return uuid.Nil, false, err
}
