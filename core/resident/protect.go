package resident

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/wuye-project/wuye/core/actor"
	"github.com/wuye-project/wuye/core/apperr"
	"github.com/wuye-project/wuye/core/audit"
	"github.com/wuye-project/wuye/core/pii"
)

// Revealing personal data: every path to a full phone or ID number checks
// resident.pii.read and leaves an audit entry. The entry is written after the
// read transaction and before the data is returned, so an audit failure
// withholds the data (and SQLite's single writer never waits on itself).

func (s *Service) entry(a actor.Actor, tenantID uuid.UUID, action, object, result, detail string) audit.Entry {
	kind := string(a.Kind)
	if kind == "" {
		kind = "anonymous"
	}
	return audit.Entry{TenantID: tenantID, ActorKind: kind, ActorID: a.ID, ActorName: a.Name, Action: action,
		Object: object, Result: result, Detail: detail, IP: a.IP, RequestID: a.RequestID}
}

// mayReveal answers whether the actor in ctx holds resident.pii.read.
func (s *Service) mayReveal(ctx context.Context) (actor.Actor, bool, error) {
	a, ok := actor.From(ctx)
	if !ok {
		return a, false, nil
	}
	allowed, err := s.perms.Allowed(ctx, a, PermPIIRead)
	return a, allowed, err
}

// RevealPII returns a person's full phone and ID numbers to an actor holding
// resident.pii.read, and audits the reveal ("resident.pii.reveal", person/<id>).
func (s *Service) RevealPII(ctx context.Context, tenantID, personID uuid.UUID) (PII, error) {
	a, allowed, err := s.mayReveal(ctx)
	if err != nil {
		return PII{}, err
	}
	object := "person/" + personID.String()
	if !allowed {
		_ = s.audit.Record(ctx, s.entry(a, tenantID, ActionReveal, object, audit.ResultDenied, "missing permission "+PermPIIRead))
		return PII{}, apperr.Forbidden.WithDetails(map[string]string{"permission": PermPIIRead})
	}
	var out PII
	err = s.in(ctx, tenantID, func(tx *gorm.DB) error {
		row, err := loadPerson(tx, tenantID, personID)
		if err != nil {
			return err
		}
		out, err = s.personPII(tx, row)
		return err
	})
	if err != nil {
		return PII{}, err
	}
	if err := s.audit.Record(ctx, s.entry(a, tenantID, ActionReveal, object, audit.ResultOK, "")); err != nil {
		return PII{}, fmt.Errorf("resident: audit reveal: %w", err)
	}
	return out, nil
}

// ExportRow is one person in an export. Numbers are masked unless the
// exporting actor holds resident.pii.read.
type ExportRow struct {
	ID        uuid.UUID
	Name      string
	Gender    string
	BirthDate string
	IDType    string
	IDNumber  string
	Phones    []Phone
	Tags      []string
	RoomIDs   []uuid.UUID
}

const exportBatch = 500

// Export yields every person matching f, in name order, for the import/export
// framework to write out. Full numbers only for holders of resident.pii.read,
// and then one "resident.pii.export" audit entry is written before the first
// row. Rows are read in batches, each in its own short transaction.
func (s *Service) Export(ctx context.Context, tenantID uuid.UUID, f Filter, yield func(ExportRow) error) error {
	a, reveal, err := s.mayReveal(ctx)
	if err != nil {
		return err
	}
	where, args, _, err := s.where(tenantID, f)
	if err != nil {
		return err
	}
	if reveal {
		detail := fmt.Sprintf("filter name=%q room=%s tag=%q phone_set=%v id_set=%v", f.Name, f.RoomID, f.Tag, f.Phone != "", f.IDNumber != "")
		if err := s.audit.Record(ctx, s.entry(a, tenantID, ActionExport, "persons", audit.ResultOK, detail)); err != nil {
			return fmt.Errorf("resident: audit export: %w", err)
		}
	}
	var afterName string
	var afterID uuid.UUID
	for first := true; ; first = false {
		var batch []ExportRow
		err := s.in(ctx, tenantID, func(tx *gorm.DB) error {
			w, as := where, append([]any{}, args...)
			if !first {
				w += " AND (p.name > ? OR (p.name = ? AND p.id > ?))"
				as = append(as, afterName, afterName, afterID)
			}
			var rows []personScan
			if err := tx.Raw("SELECT p.id, p.name, p.gender, p.birth_date, p.id_type, p.id_cipher FROM persons p WHERE "+w+ // unscoped: w starts with p.tenant_id = ? (see where)
				" ORDER BY p.name, p.id LIMIT ?", append(as, exportBatch)...).Scan(&rows).Error; err != nil {
				return err
			}
			var err error
			batch, err = s.exportRows(tx, tenantID, rows, reveal)
			return err
		})
		if err != nil {
			return err
		}
		for _, r := range batch {
			if err := yield(r); err != nil {
				return err
			}
		}
		if len(batch) < exportBatch {
			return nil
		}
		afterName, afterID = batch[len(batch)-1].Name, batch[len(batch)-1].ID
	}
}

type personScan struct {
	ID        uuid.UUID
	Name      string
	Gender    string
	BirthDate *time.Time
	IDType    string
	IDCipher  string
}

func (s *Service) exportRows(tx *gorm.DB, tenantID uuid.UUID, rows []personScan, reveal bool) ([]ExportRow, error) {
	if len(rows) == 0 {
		return nil, nil
	}
	ids := make([]uuid.UUID, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	var phones []phoneRow
	if err := tx.Where("tenant_id = ? AND person_id IN ?", tenantID, ids).Order("position").Find(&phones).Error; err != nil {
		return nil, err
	}
	byPerson := map[uuid.UUID][]Phone{}
	for _, ph := range phones {
		n, err := s.decrypt(ph.PhoneCipher, tenantID, fieldPhone)
		if err != nil {
			return nil, err
		}
		if !reveal {
			n = pii.MaskPhone(n)
		}
		byPerson[ph.PersonID] = append(byPerson[ph.PersonID], Phone{Label: ph.Label, Number: n})
	}
	rooms, err := currentRooms(tx, tenantID, ids)
	if err != nil {
		return nil, err
	}
	tags, err := tagsOf(tx, tenantID, ids)
	if err != nil {
		return nil, err
	}
	out := make([]ExportRow, 0, len(rows))
	for _, r := range rows {
		idn, err := s.decrypt(r.IDCipher, tenantID, fieldIDNumber)
		if err != nil {
			return nil, err
		}
		if !reveal {
			idn = pii.MaskID(idn)
		}
		out = append(out, ExportRow{ID: r.ID, Name: r.Name, Gender: r.Gender, BirthDate: dateString(r.BirthDate), IDType: r.IDType,
			IDNumber: idn, Phones: byPerson[r.ID], Tags: tags[r.ID], RoomIDs: rooms[r.ID]})
	}
	return out, nil
}

// RotateKeys re-encrypts, across all tenants, every phone and ID number not
// yet under the active key, batch rows per transaction, and returns how many
// values it rewrote. Run it after making a new key active; once it returns
// 0 errors the old key can leave the configuration. Safe to re-run.
func (s *Service) RotateKeys(ctx context.Context, batch int) (int, error) {
	if batch <= 0 {
		batch = 500
	}
	cols := []struct{ table, column, field string }{
		{"persons", "id_cipher", fieldIDNumber},
		{"person_phones", "phone_cipher", fieldPhone},
		{"emergency_contacts", "phone_cipher", fieldContactPhone},
	}
	prefix := likeEscape.Replace(s.keys.ActiveKeyID()+":") + "%"
	total := 0
	for _, c := range cols {
		for {
			n := 0
			err := s.db.Platform(ctx, func(tx *gorm.DB) error { // unscoped: key rotation walks every tenant
				var rows []struct {
					TenantID uuid.UUID
					ID       uuid.UUID
					Cipher   string
				}
				q := fmt.Sprintf(`SELECT tenant_id, id, %s AS cipher FROM %s WHERE %s <> '' AND %s NOT LIKE ? ESCAPE '\' LIMIT ?`, c.column, c.table, c.column, c.column)
				if err := tx.Raw(q, prefix, batch).Scan(&rows).Error; err != nil { // unscoped: key rotation walks every tenant (platform transaction)
					return err
				}
				for _, r := range rows {
					ct, _, err := s.keys.Reencrypt(r.Cipher, pii.Context(r.TenantID, c.field))
					if err != nil {
						return fmt.Errorf("resident: rotate %s.%s row %s/%s: %w", c.table, c.column, r.TenantID, r.ID, err)
					}
					if err := tx.Exec(fmt.Sprintf("UPDATE %s SET %s = ? WHERE tenant_id = ? AND id = ?", c.table, c.column), ct, r.TenantID, r.ID).Error; err != nil { // unscoped: platform transaction; the row named by tenant_id = ? AND id = ?
						return err
					}
				}
				n = len(rows)
				return nil
			})
			if err != nil {
				return total, err
			}
			total += n
			if n < batch {
				break
			}
		}
	}
	return total, nil
}

// KeyUsage counts stored values by key id, to tell when an old key is unused.
func (s *Service) KeyUsage(ctx context.Context) (map[string]int64, error) {
	out := map[string]int64{}
	err := s.db.Platform(ctx, func(tx *gorm.DB) error { // unscoped: key usage counts every tenant
		for _, q := range []string{
			"SELECT id_cipher FROM persons WHERE id_cipher <> ''",
			"SELECT phone_cipher FROM person_phones",
			"SELECT phone_cipher FROM emergency_contacts",
		} {
			rows, err := tx.Raw(q).Rows() // unscoped: key usage counts every tenant (platform transaction)
			if err != nil {
				return err
			}
			for rows.Next() {
				var ct string
				if err := rows.Scan(&ct); err != nil {
					rows.Close()
					return err
				}
				out[pii.KeyID(ct)]++
			}
			rows.Close()
		}
		return nil
	})
	return out, err
}
