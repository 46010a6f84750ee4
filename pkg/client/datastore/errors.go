package datastore

import (
	"errors"
	"fmt"
)

// The error texts below are those of Calico's own client, so that scripts matching on them keep
// working.

// AlreadyExistsError is returned by Create when the object exists. Existing is the stored
// object when the backend returned it.
type AlreadyExistsError struct {
	ID       string
	Existing interface{}
	Err      error
}

func (e *AlreadyExistsError) Error() string {
	return fmt.Sprintf("resource already exists: %s with error: %v", e.ID, e.Err)
}

// DoesNotExistError is returned when the object is absent.
type DoesNotExistError struct {
	ID  string
	Err error
}

func (e *DoesNotExistError) Error() string {
	return fmt.Sprintf("resource does not exist: %s with error: %v", e.ID, e.Err)
}

// ConflictError is returned when a resourceVersion precondition fails.
type ConflictError struct {
	ID string
}

func (e *ConflictError) Error() string { return fmt.Sprintf("update conflict: %s", e.ID) }

// NotSupportedError is returned for an operation a kind or backend refuses.
type NotSupportedError struct {
	Operation string
	ID        string
	Reason    string
}

func (e *NotSupportedError) Error() string {
	if e.Reason != "" {
		return fmt.Sprintf("operation %s is not supported on %s: %s", e.Operation, e.ID, e.Reason)
	}
	return fmt.Sprintf("operation %s is not supported on %s", e.Operation, e.ID)
}

// UnauthorizedError is returned when the datastore refuses the credentials or the request.
// Fix, when set, says which setting to change.
type UnauthorizedError struct {
	Err error
	Fix string
}

func (e *UnauthorizedError) Error() string {
	if e.Fix != "" {
		return fmt.Sprintf("connection is unauthorized: %v; %s", e.Err, e.Fix)
	}
	return fmt.Sprintf("connection is unauthorized: %v", e.Err)
}

func (e *UnauthorizedError) Unwrap() error { return e.Err }

// UnreachableError is returned when no working connection to the datastore could be made: none
// accepted, the TLS handshake failed, or nothing answered within the timeout. Datastore names
// the server ("etcd"), Fix the setting to change.
type UnreachableError struct {
	Datastore string
	Endpoints string
	Err       error
	Fix       string
}

func (e *UnreachableError) Error() string {
	what := e.Datastore
	if what == "" {
		what = "the datastore"
	}
	msg := fmt.Sprintf("cannot connect to %s at %s: %v", what, e.Endpoints, e.Err)
	if e.Fix != "" {
		msg += "; " + e.Fix
	}
	return msg
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// IsConnection reports whether err means the datastore cannot be used at all: unreachable, or
// refusing this client.
func IsConnection(err error) bool {
	var unreachable *UnreachableError
	var unauthorized *UnauthorizedError
	return errors.As(err, &unreachable) || errors.As(err, &unauthorized)
}

// IsAlreadyExists reports whether err is or wraps an AlreadyExistsError.
func IsAlreadyExists(err error) bool {
	var e *AlreadyExistsError
	return errors.As(err, &e)
}

// IsDoesNotExist reports whether err is or wraps a DoesNotExistError.
func IsDoesNotExist(err error) bool {
	var e *DoesNotExistError
	return errors.As(err, &e)
}

// IsConflict reports whether err is or wraps a ConflictError.
func IsConflict(err error) bool {
	var e *ConflictError
	return errors.As(err, &e)
}

// IsNotSupported reports whether err is or wraps a NotSupportedError.
func IsNotSupported(err error) bool {
	var e *NotSupportedError
	return errors.As(err, &e)
}

// UnreadableError is a stored value that cannot be read as its kind: written corrupt, or by
// something that is not Calico. Lists leave such values out; a delete by name removes them.
type UnreadableError struct {
	// Where names the value, e.g. its etcd key.
	Where string
	Kind  string
	Err   error
}

func (e *UnreadableError) Error() string {
	return fmt.Sprintf("reading %s: the stored value is not a valid %s: %v", e.Where, e.Kind, e.Err)
}

func (e *UnreadableError) Unwrap() error { return e.Err }

// IsUnreadable reports whether err is or wraps an UnreadableError.
func IsUnreadable(err error) bool {
	var e *UnreadableError
	return errors.As(err, &e)
}
