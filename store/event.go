package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"hearth/protocol"
)

// PostEventPhotos shares the photos of an activity: residentsPerPhoto[i] lists the residents
// ticked on photo i, and each photo goes only to the circles of those residents. It queues one
// post per circle (all in one commit, so the share is whole or not at all), each with the
// caption and only that circle's photos, in the order given. A photo going to several circles
// is uploaded once. Bad input (a photo nobody is ticked on, a resident without a circle) is an
// *InputError and queues nothing.
func (s *Store) PostEventPhotos(ctx context.Context, caption string, photos []PreparedPhoto, residentsPerPhoto [][]string) ([]EventPost, error) {
	me, err := s.whoAmI()
	if err != nil {
		return nil, err
	}
	caption = strings.TrimSpace(caption)
	if len(photos) == 0 {
		return nil, inputErr("Choose the photos of the activity first.")
	}
	if len(residentsPerPhoto) != len(photos) {
		return nil, inputErr("Tick who is in each photo.")
	}
	if err := protocol.CheckText("The caption", caption, protocol.MaxCaptionChars); err != nil {
		return nil, &InputError{Message: err.Error()}
	}
	// One post per resident's circle, in the order residents first appear.
	var posts []EventPost
	byResident := map[string]int{}
	for i, residents := range residentsPerPhoto {
		if len(residents) == 0 {
			return nil, inputErr("Nobody is ticked on photo %d. Tick who is in it, or take it out.", i+1)
		}
		ticked := map[string]bool{}
		for _, r := range residents {
			if ticked[r] {
				continue // ticked twice on one photo
			}
			ticked[r] = true
			k, ok := byResident[r]
			if !ok {
				circle, name, err := s.residentCircle(ctx, r)
				if err != nil {
					return nil, err
				}
				if circle == "" {
					if name == "" {
						name = "One of the residents ticked"
					}
					return nil, inputErr("%s has no circle to share with.", name)
				}
				k = len(posts)
				byResident[r] = k
				posts = append(posts, EventPost{PostID: protocol.NewID(), CircleID: circle, ResidentID: r})
			}
			posts[k].Photos = append(posts[k].Photos, i)
		}
	}
	for _, p := range posts {
		if len(p.Photos) > protocol.MaxPhotosPerPost {
			_, name, _ := s.residentCircle(ctx, p.ResidentID)
			return nil, inputErr("%s is ticked on %d photos; a share holds at most %d. Share the activity in two parts.",
				name, len(p.Photos), protocol.MaxPhotosPerPost)
		}
	}
	if err := s.stagePhotos(photos); err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	err = s.write(ctx, func(tx *sql.Tx, cs *changeSet) error {
		for _, p := range posts {
			mine := make([]PreparedPhoto, len(p.Photos))
			for j, i := range p.Photos {
				mine[j] = photos[i]
			}
			if err := s.queuePost(ctx, tx, cs, me, p.PostID, p.CircleID, caption, now, mine); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("share event photos: %w", err)
	}
	s.afterQueue()
	return posts, nil
}

// residentCircle returns the circle of a resident and their name ("" and "" when unknown here).
func (s *Store) residentCircle(ctx context.Context, residentID string) (circle, name string, err error) {
	err = s.rdb.QueryRowContext(ctx, `SELECT coalesce(c.id, ''), p.name FROM people p
		LEFT JOIN circles c ON c.resident_id = p.id WHERE p.id = ? AND p.role = ?`, residentID, protocol.RoleResident).Scan(&circle, &name)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", nil
	}
	if err != nil {
		return "", "", fmt.Errorf("resident's circle: %w", err)
	}
	return circle, name, nil
}
