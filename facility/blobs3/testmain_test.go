package blobs3_test

import (
	"testing"

	"hearth/facility/blobs3/s3test"
)

// TestMain stops the SeaweedFS the tests share, when they run against one (HEARTH_WEED).
func TestMain(m *testing.M) { s3test.Main(m) }
