package hostsvc

import (
	"context"
	"encoding/json"

	"github.com/wuye-project/wuye/core/records"
	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

func (h *host) collection(name string) (records.Collection, error) {
	c, ok := h.colls[name]
	if !ok {
		return c, records.ErrUnknownColl
	}
	return c, nil
}

func pbRecord(r records.Record) *wuyepb.Record {
	return &wuyepb.Record{Collection: r.Collection, Id: r.ID, Version: r.Version, Document: r.Document,
		CreatedAtUnixMs: r.CreatedAt, UpdatedAtUnixMs: r.UpdatedAt}
}

func (h *host) PutRecord(ctx context.Context, in *wuyepb.PutRecordRequest) (*wuyepb.Record, error) {
	return run(h, ctx, "PutRecord", func(ctx context.Context) (*wuyepb.Record, error) {
		c, err := h.collection(in.GetCollection())
		if err != nil {
			return nil, err
		}
		r, err := h.d.Records.Put(ctx, h.spec.TenantID, h.spec.Name, c, in.GetId(), in.GetDocument(), in.GetExpectedVersion())
		if err != nil {
			return nil, err
		}
		return pbRecord(r), nil
	})
}

func (h *host) GetRecord(ctx context.Context, in *wuyepb.GetRecordRequest) (*wuyepb.Record, error) {
	return run(h, ctx, "GetRecord", func(ctx context.Context) (*wuyepb.Record, error) {
		if _, err := h.collection(in.GetCollection()); err != nil {
			return nil, err
		}
		r, err := h.d.Records.Get(ctx, h.spec.TenantID, h.spec.Name, in.GetCollection(), in.GetId())
		if err != nil {
			return nil, err
		}
		return pbRecord(r), nil
	})
}

func (h *host) DeleteRecord(ctx context.Context, in *wuyepb.DeleteRecordRequest) (*wuyepb.DeleteRecordResponse, error) {
	return run(h, ctx, "DeleteRecord", func(ctx context.Context) (*wuyepb.DeleteRecordResponse, error) {
		if _, err := h.collection(in.GetCollection()); err != nil {
			return nil, err
		}
		err := h.d.Records.Delete(ctx, h.spec.TenantID, h.spec.Name, in.GetCollection(), in.GetId(), in.GetExpectedVersion())
		if err != nil {
			return nil, err
		}
		return &wuyepb.DeleteRecordResponse{}, nil
	})
}

func (h *host) QueryRecords(ctx context.Context, in *wuyepb.QueryRecordsRequest) (*wuyepb.QueryRecordsResponse, error) {
	return run(h, ctx, "QueryRecords", func(ctx context.Context) (*wuyepb.QueryRecordsResponse, error) {
		c, err := h.collection(in.GetCollection())
		if err != nil {
			return nil, err
		}
		q := records.Query{OrderBy: in.GetOrderBy(), Descending: in.GetDescending(), Limit: int(in.GetLimit()), Cursor: in.GetCursor()}
		for _, f := range in.GetFilters() {
			q.Filters = append(q.Filters, records.Filter{Field: f.GetField(), Op: f.GetOp(), Value: json.RawMessage(f.GetValue())})
		}
		rs, next, err := h.d.Records.Query(ctx, h.spec.TenantID, h.spec.Name, c, q)
		if err != nil {
			return nil, err
		}
		out := &wuyepb.QueryRecordsResponse{NextCursor: next, Records: make([]*wuyepb.Record, len(rs))}
		for i, r := range rs {
			out.Records[i] = pbRecord(r)
		}
		return out, nil
	})
}
