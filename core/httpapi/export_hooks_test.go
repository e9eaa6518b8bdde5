package httpapi

// SetExportPageSize makes exports read pages of n rows, so tests cross page
// boundaries with few rows; the returned function restores the size.
func SetExportPageSize(n int) func() {
	old := exportPageSize
	exportPageSize = n
	return func() { exportPageSize = old }
}

// SplitObject exposes splitObject to the tests.
var SplitObject = splitObject
