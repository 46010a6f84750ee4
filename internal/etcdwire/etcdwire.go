// Package etcdwire is a gRPC codec that writes etcd's KV requests (Range, Put, DeleteRange, Txn)
// and reads their responses in protobuf's wire format directly, and hands every other message to
// gRPC's own protobuf codec.
//
// The generated etcd types are marshalled through protobuf's reflection, which builds its tables
// for each type on first use: a fraction of a millisecond of CPU that a long-running process pays
// once and a process per request (the CNI plugin: one per ADD) pays every time.
package etcdwire

import (
	"errors"
	"fmt"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/mvccpb"
	"google.golang.org/grpc/encoding"
	grpcproto "google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
)

// Register makes the codec gRPC's protobuf codec for this process. Like gRPC's own registration
// it must run before any RPC, from an init function.
func Register() {
	fallback := encoding.GetCodecV2(grpcproto.Name)
	if fallback == nil {
		panic("etcdwire: gRPC's protobuf codec is not registered")
	}
	encoding.RegisterCodecV2(codec{fallback: fallback})
}

type codec struct{ fallback encoding.CodecV2 }

func (codec) Name() string { return grpcproto.Name }

func (c codec) Marshal(v any) (mem.BufferSlice, error) {
	var b []byte
	switch m := v.(type) {
	case *pb.RangeRequest:
		b = appendRangeRequest(nil, m)
	case *pb.PutRequest:
		b = appendPutRequest(nil, m)
	case *pb.DeleteRangeRequest:
		b = appendDeleteRangeRequest(nil, m)
	case *pb.TxnRequest:
		b = appendTxnRequest(nil, m)
	default:
		return c.fallback.Marshal(v)
	}
	return mem.BufferSlice{mem.SliceBuffer(b)}, nil
}

func (c codec) Unmarshal(data mem.BufferSlice, v any) error {
	switch m := v.(type) {
	case *pb.RangeResponse:
		return wrap(v, decodeRangeResponse(data.Materialize(), m))
	case *pb.PutResponse:
		return wrap(v, decodePutResponse(data.Materialize(), m))
	case *pb.DeleteRangeResponse:
		return wrap(v, decodeDeleteRangeResponse(data.Materialize(), m))
	case *pb.TxnResponse:
		return wrap(v, decodeTxnResponse(data.Materialize(), m))
	}
	return c.fallback.Unmarshal(data, v)
}

func wrap(v any, err error) error {
	if err != nil {
		return fmt.Errorf("decoding %T: %w", v, err)
	}
	return nil
}

// Writing. proto3 leaves out scalar fields holding their zero value, but not the member of a
// oneof that is set (a Compare of Version 0 carries version = 0).

func appendVarint(b []byte, num protowire.Number, v uint64) []byte {
	if v == 0 {
		return b
	}
	return protowire.AppendVarint(protowire.AppendTag(b, num, protowire.VarintType), v)
}

func appendBool(b []byte, num protowire.Number, v bool) []byte {
	if !v {
		return b
	}
	return appendVarint(b, num, 1)
}

func appendBytes(b []byte, num protowire.Number, v []byte) []byte {
	if len(v) == 0 {
		return b
	}
	return protowire.AppendBytes(protowire.AppendTag(b, num, protowire.BytesType), v)
}

func appendMessage(b []byte, num protowire.Number, msg []byte) []byte {
	return protowire.AppendBytes(protowire.AppendTag(b, num, protowire.BytesType), msg)
}

func appendRangeRequest(b []byte, m *pb.RangeRequest) []byte {
	b = appendBytes(b, 1, m.Key)
	b = appendBytes(b, 2, m.RangeEnd)
	b = appendVarint(b, 3, uint64(m.Limit))
	b = appendVarint(b, 4, uint64(m.Revision))
	b = appendVarint(b, 5, uint64(m.SortOrder))
	b = appendVarint(b, 6, uint64(m.SortTarget))
	b = appendBool(b, 7, m.Serializable)
	b = appendBool(b, 8, m.KeysOnly)
	b = appendBool(b, 9, m.CountOnly)
	b = appendVarint(b, 10, uint64(m.MinModRevision))
	b = appendVarint(b, 11, uint64(m.MaxModRevision))
	b = appendVarint(b, 12, uint64(m.MinCreateRevision))
	return appendVarint(b, 13, uint64(m.MaxCreateRevision))
}

func appendPutRequest(b []byte, m *pb.PutRequest) []byte {
	b = appendBytes(b, 1, m.Key)
	b = appendBytes(b, 2, m.Value)
	b = appendVarint(b, 3, uint64(m.Lease))
	b = appendBool(b, 4, m.PrevKv)
	b = appendBool(b, 5, m.IgnoreValue)
	return appendBool(b, 6, m.IgnoreLease)
}

func appendDeleteRangeRequest(b []byte, m *pb.DeleteRangeRequest) []byte {
	b = appendBytes(b, 1, m.Key)
	b = appendBytes(b, 2, m.RangeEnd)
	return appendBool(b, 3, m.PrevKv)
}

func appendCompare(b []byte, m *pb.Compare) []byte {
	b = appendVarint(b, 1, uint64(m.Result))
	b = appendVarint(b, 2, uint64(m.Target))
	b = appendBytes(b, 3, m.Key)
	b = appendBytes(b, 64, m.RangeEnd) // protobuf writes a oneof after the other fields
	switch u := m.TargetUnion.(type) {
	case *pb.Compare_Version:
		b = protowire.AppendVarint(protowire.AppendTag(b, 4, protowire.VarintType), uint64(u.Version))
	case *pb.Compare_CreateRevision:
		b = protowire.AppendVarint(protowire.AppendTag(b, 5, protowire.VarintType), uint64(u.CreateRevision))
	case *pb.Compare_ModRevision:
		b = protowire.AppendVarint(protowire.AppendTag(b, 6, protowire.VarintType), uint64(u.ModRevision))
	case *pb.Compare_Value:
		b = appendMessage(b, 7, u.Value)
	case *pb.Compare_Lease:
		b = protowire.AppendVarint(protowire.AppendTag(b, 8, protowire.VarintType), uint64(u.Lease))
	}
	return b
}

func appendRequestOp(b []byte, m *pb.RequestOp) []byte {
	switch r := m.Request.(type) {
	case *pb.RequestOp_RequestRange:
		b = appendMessage(b, 1, appendRangeRequest(nil, r.RequestRange))
	case *pb.RequestOp_RequestPut:
		b = appendMessage(b, 2, appendPutRequest(nil, r.RequestPut))
	case *pb.RequestOp_RequestDeleteRange:
		b = appendMessage(b, 3, appendDeleteRangeRequest(nil, r.RequestDeleteRange))
	case *pb.RequestOp_RequestTxn:
		b = appendMessage(b, 4, appendTxnRequest(nil, r.RequestTxn))
	}
	return b
}

func appendTxnRequest(b []byte, m *pb.TxnRequest) []byte {
	for _, c := range m.Compare {
		b = appendMessage(b, 1, appendCompare(nil, c))
	}
	for _, op := range m.Success {
		b = appendMessage(b, 2, appendRequestOp(nil, op))
	}
	for _, op := range m.Failure {
		b = appendMessage(b, 3, appendRequestOp(nil, op))
	}
	return b
}

// Reading. Fields of another wire type than expected, and unknown fields, are skipped, as
// protobuf does.

// skip tells fields to pass over a field; malformed that an embedded message is not valid.
const (
	skip      = -1 << 30
	malformed = -1 << 29
)

var errMalformed = errors.New("an embedded message is not valid protobuf")

// fields calls f for each field of the message in b; f returns the number of bytes of the
// field's value it read, a protowire error (negative), skip or malformed.
func fields(b []byte, f func(num protowire.Number, typ protowire.Type, v []byte) int) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		n = f(num, typ, b)
		switch n {
		case skip:
			n = protowire.ConsumeFieldValue(num, typ, b)
		case malformed:
			return errMalformed
		}
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
	}
	return nil
}

func varint(typ protowire.Type, b []byte, set func(uint64)) int {
	if typ != protowire.VarintType {
		return skip
	}
	v, n := protowire.ConsumeVarint(b)
	if n >= 0 {
		set(v)
	}
	return n
}

func bytesValue(typ protowire.Type, b []byte, set func([]byte)) int {
	if typ != protowire.BytesType {
		return skip
	}
	v, n := protowire.ConsumeBytes(b)
	if n >= 0 {
		set(v)
	}
	return n
}

// message reads an embedded message with decode.
func message(typ protowire.Type, b []byte, decode func([]byte) error) int {
	if typ != protowire.BytesType {
		return skip
	}
	v, n := protowire.ConsumeBytes(b)
	if n < 0 {
		return n
	}
	if err := decode(v); err != nil {
		return malformed
	}
	return n
}

func decodeHeader(b []byte) (*pb.ResponseHeader, error) {
	h := &pb.ResponseHeader{}
	return h, fields(b, func(num protowire.Number, typ protowire.Type, v []byte) int {
		switch num {
		case 1:
			return varint(typ, v, func(x uint64) { h.ClusterId = x })
		case 2:
			return varint(typ, v, func(x uint64) { h.MemberId = x })
		case 3:
			return varint(typ, v, func(x uint64) { h.Revision = int64(x) })
		case 4:
			return varint(typ, v, func(x uint64) { h.RaftTerm = x })
		}
		return skip
	})
}

func decodeKeyValue(b []byte) (*mvccpb.KeyValue, error) {
	kv := &mvccpb.KeyValue{}
	return kv, fields(b, func(num protowire.Number, typ protowire.Type, v []byte) int {
		switch num {
		case 1:
			return bytesValue(typ, v, func(x []byte) { kv.Key = x })
		case 2:
			return varint(typ, v, func(x uint64) { kv.CreateRevision = int64(x) })
		case 3:
			return varint(typ, v, func(x uint64) { kv.ModRevision = int64(x) })
		case 4:
			return varint(typ, v, func(x uint64) { kv.Version = int64(x) })
		case 5:
			return bytesValue(typ, v, func(x []byte) { kv.Value = x })
		case 6:
			return varint(typ, v, func(x uint64) { kv.Lease = int64(x) })
		}
		return skip
	})
}

// header reads field 1 of a response, its header, into *into.
func header(typ protowire.Type, v []byte, into **pb.ResponseHeader) int {
	return message(typ, v, func(b []byte) (err error) {
		*into, err = decodeHeader(b)
		return err
	})
}

func keyValue(typ protowire.Type, v []byte, set func(*mvccpb.KeyValue)) int {
	return message(typ, v, func(b []byte) error {
		kv, err := decodeKeyValue(b)
		set(kv)
		return err
	})
}

func decodeRangeResponse(b []byte, m *pb.RangeResponse) error {
	m.Header, m.Kvs, m.More, m.Count = nil, nil, false, 0
	return fields(b, func(num protowire.Number, typ protowire.Type, v []byte) int {
		switch num {
		case 1:
			return header(typ, v, &m.Header)
		case 2:
			return keyValue(typ, v, func(kv *mvccpb.KeyValue) { m.Kvs = append(m.Kvs, kv) })
		case 3:
			return varint(typ, v, func(x uint64) { m.More = x != 0 })
		case 4:
			return varint(typ, v, func(x uint64) { m.Count = int64(x) })
		}
		return skip
	})
}

func decodePutResponse(b []byte, m *pb.PutResponse) error {
	m.Header, m.PrevKv = nil, nil
	return fields(b, func(num protowire.Number, typ protowire.Type, v []byte) int {
		switch num {
		case 1:
			return header(typ, v, &m.Header)
		case 2:
			return keyValue(typ, v, func(kv *mvccpb.KeyValue) { m.PrevKv = kv })
		}
		return skip
	})
}

func decodeDeleteRangeResponse(b []byte, m *pb.DeleteRangeResponse) error {
	m.Header, m.Deleted, m.PrevKvs = nil, 0, nil
	return fields(b, func(num protowire.Number, typ protowire.Type, v []byte) int {
		switch num {
		case 1:
			return header(typ, v, &m.Header)
		case 2:
			return varint(typ, v, func(x uint64) { m.Deleted = int64(x) })
		case 3:
			return keyValue(typ, v, func(kv *mvccpb.KeyValue) { m.PrevKvs = append(m.PrevKvs, kv) })
		}
		return skip
	})
}

func decodeResponseOp(b []byte) (*pb.ResponseOp, error) {
	op := &pb.ResponseOp{}
	return op, fields(b, func(num protowire.Number, typ protowire.Type, v []byte) int {
		switch num {
		case 1:
			r := &pb.RangeResponse{}
			op.Response = &pb.ResponseOp_ResponseRange{ResponseRange: r}
			return message(typ, v, func(b []byte) error { return decodeRangeResponse(b, r) })
		case 2:
			r := &pb.PutResponse{}
			op.Response = &pb.ResponseOp_ResponsePut{ResponsePut: r}
			return message(typ, v, func(b []byte) error { return decodePutResponse(b, r) })
		case 3:
			r := &pb.DeleteRangeResponse{}
			op.Response = &pb.ResponseOp_ResponseDeleteRange{ResponseDeleteRange: r}
			return message(typ, v, func(b []byte) error { return decodeDeleteRangeResponse(b, r) })
		case 4:
			r := &pb.TxnResponse{}
			op.Response = &pb.ResponseOp_ResponseTxn{ResponseTxn: r}
			return message(typ, v, func(b []byte) error { return decodeTxnResponse(b, r) })
		}
		return skip
	})
}

func decodeTxnResponse(b []byte, m *pb.TxnResponse) error {
	m.Header, m.Succeeded, m.Responses = nil, false, nil
	return fields(b, func(num protowire.Number, typ protowire.Type, v []byte) int {
		switch num {
		case 1:
			return header(typ, v, &m.Header)
		case 2:
			return varint(typ, v, func(x uint64) { m.Succeeded = x != 0 })
		case 3:
			return message(typ, v, func(b []byte) error {
				op, err := decodeResponseOp(b)
				m.Responses = append(m.Responses, op)
				return err
			})
		}
		return skip
	})
}
