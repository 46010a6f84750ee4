package etcdwire

import (
	"bytes"
	"context"
	"fmt"
	"math/rand"
	"os"
	"testing"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc/encoding"
	grpcproto "google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/calicoctl-go/calicoctl/internal/testenv"
)

var etcdEndpoint string

func TestMain(m *testing.M) {
	Register()
	e, err := testenv.StartEtcd()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	etcdEndpoint = e.Endpoint
	code := m.Run()
	e.Stop()
	os.Exit(code)
}

// gen makes random messages: every field set or left at its zero value, negative numbers,
// empty and non-empty bytes, nested transactions.
type gen struct{ r *rand.Rand }

func (g gen) bytes() []byte {
	switch g.r.Intn(4) {
	case 0:
		return nil
	case 1:
		return []byte{}
	}
	b := make([]byte, g.r.Intn(300))
	g.r.Read(b)
	return b
}

func (g gen) int64() int64 {
	switch g.r.Intn(4) {
	case 0:
		return 0
	case 1:
		return -g.r.Int63()
	}
	return g.r.Int63n(1 << uint(g.r.Intn(62)+1))
}

func (g gen) bool() bool { return g.r.Intn(2) == 1 }

func (g gen) rangeRequest() *pb.RangeRequest {
	return &pb.RangeRequest{Key: g.bytes(), RangeEnd: g.bytes(), Limit: g.int64(), Revision: g.int64(),
		SortOrder: pb.RangeRequest_SortOrder(g.r.Intn(3)), SortTarget: pb.RangeRequest_SortTarget(g.r.Intn(5)),
		Serializable: g.bool(), KeysOnly: g.bool(), CountOnly: g.bool(), MinModRevision: g.int64(), MaxModRevision: g.int64(),
		MinCreateRevision: g.int64(), MaxCreateRevision: g.int64()}
}

func (g gen) putRequest() *pb.PutRequest {
	return &pb.PutRequest{Key: g.bytes(), Value: g.bytes(), Lease: g.int64(), PrevKv: g.bool(), IgnoreValue: g.bool(), IgnoreLease: g.bool()}
}

func (g gen) deleteRangeRequest() *pb.DeleteRangeRequest {
	return &pb.DeleteRangeRequest{Key: g.bytes(), RangeEnd: g.bytes(), PrevKv: g.bool()}
}

func (g gen) compare() *pb.Compare {
	c := &pb.Compare{Result: pb.Compare_CompareResult(g.r.Intn(4)), Target: pb.Compare_CompareTarget(g.r.Intn(5)), Key: g.bytes(), RangeEnd: g.bytes()}
	switch g.r.Intn(6) {
	case 0:
		c.TargetUnion = &pb.Compare_Version{Version: g.int64()}
	case 1:
		c.TargetUnion = &pb.Compare_CreateRevision{CreateRevision: g.int64()}
	case 2:
		c.TargetUnion = &pb.Compare_ModRevision{ModRevision: g.int64()}
	case 3:
		c.TargetUnion = &pb.Compare_Value{Value: g.bytes()}
	case 4:
		c.TargetUnion = &pb.Compare_Lease{Lease: g.int64()}
	}
	return c
}

func (g gen) txnRequest(depth int) *pb.TxnRequest {
	t := &pb.TxnRequest{}
	for i := g.r.Intn(4); i > 0; i-- {
		t.Compare = append(t.Compare, g.compare())
	}
	ops := func() (out []*pb.RequestOp) {
		for i := g.r.Intn(4); i > 0; i-- {
			op := &pb.RequestOp{}
			switch g.r.Intn(5) {
			case 0:
				op.Request = &pb.RequestOp_RequestRange{RequestRange: g.rangeRequest()}
			case 1:
				op.Request = &pb.RequestOp_RequestPut{RequestPut: g.putRequest()}
			case 2:
				op.Request = &pb.RequestOp_RequestDeleteRange{RequestDeleteRange: g.deleteRangeRequest()}
			case 3:
				if depth < 2 {
					op.Request = &pb.RequestOp_RequestTxn{RequestTxn: g.txnRequest(depth + 1)}
				}
			}
			out = append(out, op)
		}
		return out
	}
	t.Success, t.Failure = ops(), ops()
	return t
}

func (g gen) header() *pb.ResponseHeader {
	if g.r.Intn(5) == 0 {
		return nil
	}
	return &pb.ResponseHeader{ClusterId: g.r.Uint64(), MemberId: g.r.Uint64(), Revision: g.int64(), RaftTerm: g.r.Uint64()}
}

func (g gen) keyValue() *mvccpb.KeyValue {
	return &mvccpb.KeyValue{Key: g.bytes(), CreateRevision: g.int64(), ModRevision: g.int64(), Version: g.int64(), Value: g.bytes(), Lease: g.int64()}
}

func (g gen) keyValues() (out []*mvccpb.KeyValue) {
	for i := g.r.Intn(5); i > 0; i-- {
		out = append(out, g.keyValue())
	}
	return out
}

func (g gen) rangeResponse() *pb.RangeResponse {
	return &pb.RangeResponse{Header: g.header(), Kvs: g.keyValues(), More: g.bool(), Count: g.int64()}
}

func (g gen) putResponse() *pb.PutResponse {
	r := &pb.PutResponse{Header: g.header()}
	if g.bool() {
		r.PrevKv = g.keyValue()
	}
	return r
}

func (g gen) deleteRangeResponse() *pb.DeleteRangeResponse {
	return &pb.DeleteRangeResponse{Header: g.header(), Deleted: g.int64(), PrevKvs: g.keyValues()}
}

func (g gen) txnResponse(depth int) *pb.TxnResponse {
	t := &pb.TxnResponse{Header: g.header(), Succeeded: g.bool()}
	for i := g.r.Intn(4); i > 0; i-- {
		op := &pb.ResponseOp{}
		switch g.r.Intn(5) {
		case 0:
			op.Response = &pb.ResponseOp_ResponseRange{ResponseRange: g.rangeResponse()}
		case 1:
			op.Response = &pb.ResponseOp_ResponsePut{ResponsePut: g.putResponse()}
		case 2:
			op.Response = &pb.ResponseOp_ResponseDeleteRange{ResponseDeleteRange: g.deleteRangeResponse()}
		case 3:
			if depth < 2 {
				op.Response = &pb.ResponseOp_ResponseTxn{ResponseTxn: g.txnResponse(depth + 1)}
			}
		}
		t.Responses = append(t.Responses, op)
	}
	return t
}

func codecUnderTest(t *testing.T) encoding.CodecV2 {
	t.Helper()
	c, ok := encoding.GetCodecV2(grpcproto.Name).(codec)
	if !ok {
		t.Fatalf("gRPC's %q codec is %T, not this package's", grpcproto.Name, encoding.GetCodecV2(grpcproto.Name))
	}
	return c
}

// The requests come out byte for byte as protobuf writes them.
func TestRequestsAreWrittenAsProtobufWritesThem(t *testing.T) {
	c := codecUnderTest(t)
	g := gen{rand.New(rand.NewSource(1))}
	for i := 0; i < 3000; i++ {
		var msg proto.Message
		switch i % 4 {
		case 0:
			msg = g.rangeRequest()
		case 1:
			msg = g.putRequest()
		case 2:
			msg = g.deleteRangeRequest()
		case 3:
			msg = g.txnRequest(0)
		}
		want, err := proto.MarshalOptions{Deterministic: true}.Marshal(msg)
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.Marshal(msg)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Materialize(), want) {
			t.Fatalf("%T %v:\n got  %x\n want %x", msg, msg, got.Materialize(), want)
		}
	}
}

// A create-if-absent compares the version with 0: the 0 must be on the wire.
func TestACompareWithZeroKeepsTheZero(t *testing.T) {
	cmp := clientv3.Compare(clientv3.Version("k"), "=", 0)
	got, err := codecUnderTest(t).Marshal(&pb.TxnRequest{Compare: []*pb.Compare{cmp.GetCompare()}})
	if err != nil {
		t.Fatal(err)
	}
	var back pb.TxnRequest
	if err := proto.Unmarshal(got.Materialize(), &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Compare) != 1 || back.Compare[0].GetTargetUnion() == nil || back.Compare[0].GetVersion() != 0 {
		t.Fatalf("compare read back as %v", back.Compare)
	}
}

// The responses read back equal to what protobuf wrote, also with fields this package does not
// know appended (a newer etcd).
func TestResponsesReadAsProtobufReadsThem(t *testing.T) {
	c := codecUnderTest(t)
	g := gen{rand.New(rand.NewSource(2))}
	unknown := protowire.AppendBytes(protowire.AppendTag(nil, 99, protowire.BytesType), []byte("from a newer etcd"))
	unknown = protowire.AppendVarint(protowire.AppendTag(unknown, 100, protowire.VarintType), 7)
	for i := 0; i < 3000; i++ {
		var msg, into proto.Message
		switch i % 4 {
		case 0:
			msg, into = g.rangeResponse(), &pb.RangeResponse{Count: 5}
		case 1:
			msg, into = g.putResponse(), &pb.PutResponse{}
		case 2:
			msg, into = g.deleteRangeResponse(), &pb.DeleteRangeResponse{Deleted: 3}
		case 3:
			msg, into = g.txnResponse(0), &pb.TxnResponse{Succeeded: true}
		}
		wire, err := proto.Marshal(msg)
		if err != nil {
			t.Fatal(err)
		}
		if i%2 == 1 {
			wire = append(wire, unknown...)
		}
		if err := c.Unmarshal(mem.BufferSlice{mem.SliceBuffer(wire)}, into); err != nil {
			t.Fatalf("%T: %v", msg, err)
		}
		if !proto.Equal(msg, into) {
			t.Fatalf("%T:\n read %v\n want %v", msg, into, msg)
		}
	}
}

func TestTruncatedResponsesAreErrors(t *testing.T) {
	c := codecUnderTest(t)
	g := gen{rand.New(rand.NewSource(3))}
	for i := 0; i < 200; i++ {
		msg := g.txnResponse(0)
		msg.Header = &pb.ResponseHeader{Revision: 1}
		wire, _ := proto.Marshal(msg)
		cut := wire[:len(wire)-1-g.r.Intn(len(wire))]
		if proto.Unmarshal(cut, &pb.TxnResponse{}) == nil {
			continue // still a valid message: a prefix of fields
		}
		if err := c.Unmarshal(mem.BufferSlice{mem.SliceBuffer(cut)}, &pb.TxnResponse{}); err == nil {
			t.Fatalf("%x (cut from %x) read without an error", cut, wire)
		}
	}
}

// Other messages go through gRPC's own codec.
func TestOtherMessagesUseTheProtobufCodec(t *testing.T) {
	c := codecUnderTest(t)
	req := &pb.LeaseGrantRequest{TTL: 30, ID: 7}
	data, err := c.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	var back pb.LeaseGrantRequest
	if err := c.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(req, &back) {
		t.Fatalf("read back %v, want %v", &back, req)
	}
}

// A real etcd answers the codec's requests, and the client reads its answers: gets, prefix
// lists, puts with their previous value, conditional transactions, nested ones, deletes.
func TestAgainstEtcd(t *testing.T) {
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{etcdEndpoint}, DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := cli.Put(ctx, "/w/a", "1"); err != nil {
		t.Fatal(err)
	}
	put, err := cli.Put(ctx, "/w/a", "2", clientv3.WithPrevKV())
	if err != nil || put.PrevKv == nil || string(put.PrevKv.Value) != "1" {
		t.Fatalf("put with previous value: %v %v", put, err)
	}
	created, err := cli.Txn(ctx).If(clientv3.Compare(clientv3.Version("/w/b"), "=", 0)).Then(clientv3.OpPut("/w/b", "x")).Commit()
	if err != nil || !created.Succeeded {
		t.Fatalf("create-if-absent: %v %v", created, err)
	}
	again, err := cli.Txn(ctx).If(clientv3.Compare(clientv3.Version("/w/b"), "=", 0)).Then(clientv3.OpPut("/w/b", "y")).
		Else(clientv3.OpGet("/w/b")).Commit()
	if err != nil || again.Succeeded || len(again.Responses) != 1 || string(again.Responses[0].GetResponseRange().Kvs[0].Value) != "x" {
		t.Fatalf("second create-if-absent: %v %v", again, err)
	}
	rev := again.Responses[0].GetResponseRange().Kvs[0].ModRevision
	nested, err := cli.Txn(ctx).If(clientv3.Compare(clientv3.ModRevision("/w/b"), "=", rev), clientv3.Compare(clientv3.Value("/w/a"), "=", "2")).
		Then(clientv3.OpTxn(nil, []clientv3.Op{clientv3.OpPut("/w/c", ""), clientv3.OpGet("/w/", clientv3.WithPrefix())}, nil)).Commit()
	if err != nil || !nested.Succeeded {
		t.Fatalf("nested transaction: %v %v", nested, err)
	}
	inner := nested.Responses[0].GetResponseTxn()
	if inner == nil || len(inner.Responses) != 2 || len(inner.Responses[1].GetResponseRange().Kvs) != 3 {
		t.Fatalf("nested transaction's responses: %v", nested)
	}
	list, err := cli.Get(ctx, "/w/", clientv3.WithPrefix(), clientv3.WithSort(clientv3.SortByKey, clientv3.SortDescend), clientv3.WithLimit(2))
	if err != nil || len(list.Kvs) != 2 || string(list.Kvs[0].Key) != "/w/c" || !list.More || list.Count != 3 || list.Header.Revision == 0 {
		t.Fatalf("list: %v %v", list, err)
	}
	del, err := cli.Delete(ctx, "/w/", clientv3.WithPrefix(), clientv3.WithPrevKV())
	if err != nil || del.Deleted != 3 || len(del.PrevKvs) != 3 {
		t.Fatalf("delete: %v %v", del, err)
	}
	if _, err := cli.Grant(ctx, 10); err != nil { // a Lease call: gRPC's own codec
		t.Fatalf("lease grant: %v", err)
	}
}
