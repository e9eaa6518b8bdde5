package identity

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/poll"
)

// Access tokens are not looked up per request, so ending an account's
// sessions (disable, password reset or change) stamps sessions_revoked_at on
// the account, and every API node keeps a map of recent stamps in memory:
// the writing node updates it after commit, the others poll the database.
//
// A JWT's iat is whole seconds, so the stamp is the first whole second after
// the revocation instant, and a token is revoked when iat < stamp: whatever
// was issued before the revocation (or in its second) is refused. A token
// issued after it (the fresh pair of a password change, a later sign-in) has
// its iat raised to at least the stamp, see Service.issue.

// ErrTokenRevoked answers an access token issued before its account's sessions were ended.
var ErrTokenRevoked = apperr.New(apperr.KindUnauthenticated, "token_revoked", "This session was ended (password changed or account disabled); sign in again.", "该会话已结束(密码已修改或账号已停用),请重新登录。")

// RevocationPollInterval is how often Run reads revocations made by other processes.
const RevocationPollInterval = 2 * time.Second

// revocationOverlap re-reads stamps this far before the last poll, so a
// transaction that stamped before a poll but committed after it is still seen.
const revocationOverlap = time.Minute

// revocationStamp is the sessions_revoked_at value for a revocation at now.
func revocationStamp(now time.Time) time.Time {
	return now.UTC().Truncate(time.Second).Add(time.Second)
}

// stampRevocation ends, for access tokens, every session of the user or
// operator (model says which) inside tx, and returns the stamp to note after
// commit. A second revocation within the same second moves the stamp one
// second further, past the iat of tokens issued after the first. Callers have
// already updated the row in tx, so it is locked and the read is current.
func stampRevocation(tx *gorm.DB, model any, id uuid.UUID, now time.Time) (time.Time, error) {
	at := revocationStamp(now)
	var prev struct{ SessionsRevokedAt *time.Time }
	if err := tx.Model(model).Select("sessions_revoked_at").Where("id = ?", id).Scan(&prev).Error; err != nil {
		return time.Time{}, err
	}
	if p := prev.SessionsRevokedAt; p != nil && !p.Before(at) {
		at = p.UTC().Add(time.Second)
	}
	return at, tx.Model(model).Where("id = ?", id).Update("sessions_revoked_at", at).Error
}

// revocations maps account id to the unix second before which its access
// tokens are refused. Reads are one atomic load (copy on write): revocations
// are rare, token checks are on every request.
type revocations struct {
	m      atomic.Pointer[map[uuid.UUID]int64]
	mu     sync.Mutex // serialises writers and guards polled
	polled time.Time  // start of the last successful poll

	// ops holds the ids of active operators, as of the last poll plus those
	// found active since; nil before the first poll. An operator token is
	// accepted only for an id in it, so an operator disabled or deleted
	// outside UpdateOperator (no revocation stamp) is refused after a poll.
	ops   atomic.Pointer[map[uuid.UUID]bool]
	opsMu sync.Mutex // serialises writers of ops
}

// setOperator adds (active) or removes an operator id, copy on write.
func (r *revocations) setOperator(id uuid.UUID, active bool) {
	r.opsMu.Lock()
	defer r.opsMu.Unlock()
	var old map[uuid.UUID]bool
	if p := r.ops.Load(); p != nil {
		old = *p
	}
	if old[id] == active {
		return
	}
	next := make(map[uuid.UUID]bool, len(old)+1)
	for k := range old {
		next[k] = true
	}
	if active {
		next[id] = true
	} else {
		delete(next, id)
	}
	r.ops.Store(&next)
}

// operatorActive tells whether id is an existing, active operator: from
// memory when it is known active, else from the database (a new operator not
// yet polled on this node; a disabled or unknown one, refused each time).
func (s *Service) operatorActive(ctx context.Context, id uuid.UUID) (bool, error) {
	if p := s.revoked.ops.Load(); p != nil && (*p)[id] {
		return true, nil
	}
	var n int64
	err := s.db.Platform(ctx, func(tx *gorm.DB) error {
		return tx.Model(&Operator{}).Where("id = ? AND status = ?", id, StatusActive).Count(&n).Error
	})
	if err != nil || n == 0 {
		return false, err
	}
	s.revoked.setOperator(id, true)
	return true, nil
}

func newRevocations() *revocations {
	r := &revocations{}
	r.m.Store(&map[uuid.UUID]int64{})
	return r
}

// before returns the unix second before which id's tokens are refused (0: none).
func (r *revocations) before(id uuid.UUID) int64 {
	return (*r.m.Load())[id]
}

// note records stamps, dropping those older than keepAfter (their tokens have expired).
func (r *revocations) note(stamps map[uuid.UUID]time.Time, keepAfter time.Time) {
	old := *r.m.Load()
	next := make(map[uuid.UUID]int64, len(old)+len(stamps))
	cut := keepAfter.Unix()
	for id, v := range old {
		if v > cut {
			next[id] = v
		}
	}
	for id, t := range stamps {
		if v := t.Unix(); v > next[id] && v > cut {
			next[id] = v
		}
	}
	r.m.Store(&next)
}

// noteRevoked makes this process refuse id's older tokens at once (after the commit).
func (s *Service) noteRevoked(id uuid.UUID, at time.Time) {
	s.revoked.mu.Lock()
	defer s.revoked.mu.Unlock()
	s.revoked.note(map[uuid.UUID]time.Time{id: at}, s.revocationHorizon())
}

// revocationHorizon is the oldest stamp that can still matter: tokens issued
// before it have expired.
func (s *Service) revocationHorizon() time.Time {
	return s.now().Add(-s.cfg.AccessTTL - clockSkew - time.Second)
}

// PollRevocations reads the users' and operators' stamps made since the last
// poll (the first call loads all that can still matter) and the set of
// active operators. Call it once before
// serving; Run repeats it.
func (s *Service) PollRevocations(ctx context.Context) error {
	s.revoked.mu.Lock()
	defer s.revoked.mu.Unlock()
	started := s.now()
	since := s.revoked.polled.Add(-revocationOverlap)
	if h := s.revocationHorizon(); since.Before(h) {
		since = h
	}
	type row struct {
		ID                uuid.UUID
		SessionsRevokedAt time.Time
	}
	var (
		rows []row
		ops  []uuid.UUID
	)
	err := s.db.Platform(ctx, func(tx *gorm.DB) error {
		// Operators are few: read the whole active set each time.
		if err := tx.Model(&Operator{}).Where("status = ?", StatusActive).Pluck("id", &ops).Error; err != nil {
			return err
		}
		for _, table := range []string{"users", "operators"} {
			var part []row
			err := tx.Table(table).Select("id, sessions_revoked_at").Where("sessions_revoked_at > ?", since.UTC()).Scan(&part).Error
			if err != nil {
				return err
			}
			rows = append(rows, part...)
		}
		return nil
	})
	if err != nil {
		return err
	}
	stamps := make(map[uuid.UUID]time.Time, len(rows))
	for _, r := range rows {
		stamps[r.ID] = r.SessionsRevokedAt
	}
	s.revoked.note(stamps, s.revocationHorizon())
	s.revoked.polled = started
	active := make(map[uuid.UUID]bool, len(ops))
	for _, id := range ops {
		active[id] = true
	}
	s.revoked.opsMu.Lock()
	s.revoked.ops.Store(&active)
	s.revoked.opsMu.Unlock()
	return nil
}

// Run follows other processes' revocations until ctx ends, polling every
// interval (RevocationPollInterval when zero).
func (s *Service) Run(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		interval = RevocationPollInterval
	}
	poll.Every(ctx, interval, s.PollRevocations, func(err error) {
		s.cfg.Log.Warn("identity revocation poll failed", "err", err)
	})
}
