package main

import (
	"hearth/app"
	hearthsync "hearth/sync"
)

// The screens' staff actions are implemented by the sync package (which must not import Fyne).
var _ app.StaffActions = (*hearthsync.Staff)(nil)
