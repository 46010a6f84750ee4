package ipam

import "context"

// Progress is told how long work advances (ipam check, the release of a report, a migration
// import), so that a command can draw a bar. Commands put one in the context; without one the
// library reports to no one.
type Progress interface {
	Start(total int, what string)
	Add(n int)
	Done()
}

type progressKey struct{}

// WithProgress returns a context whose long IPAM operations report to p.
func WithProgress(ctx context.Context, p Progress) context.Context {
	return context.WithValue(ctx, progressKey{}, p)
}

// progressOf returns the context's Progress, or one that does nothing.
func progressOf(ctx context.Context) Progress {
	if p, ok := ctx.Value(progressKey{}).(Progress); ok && p != nil {
		return p
	}
	return noProgress{}
}

type noProgress struct{}

func (noProgress) Start(int, string) {}
func (noProgress) Add(int)           {}
func (noProgress) Done()             {}
