package testkit

import "github.com/wuye-project/wuye/sdk/proto/wuyepb"

// Fixture ids of the default compound: one community, two buildings, four
// rooms and five residents. Readable ids make tests readable; the real host
// uses UUIDs, so a plugin must not read meaning into them.
const (
	CommunityID   = "community-1"
	Building1ID   = "building-1"
	Building2ID   = "building-2"
	Room101       = "room-1-101"
	Room102       = "room-1-102"
	Room201       = "room-2-201"
	Room202       = "room-2-202"
	ResidentZhang = "resident-zhang" // 张伟, 101, born 1956, tag elderly, has an account
	ResidentLi    = "resident-li"    // 李娜, 101, born 1988, has an account
	ResidentWang  = "resident-wang"  // 王小明, 102, born 2015, tag child
	ResidentZhao  = "resident-zhao"  // 赵敏, 201, born 1979, has an account
	ResidentChen  = "resident-chen"  // 陈刚, 202, born 1992, tag tenant
)

// DefaultCommunities is the fixture's community.
func DefaultCommunities() []*wuyepb.Community {
	return []*wuyepb.Community{{Id: CommunityID, Code: "sunshine", Name: "阳光花园", Address: "杭州市西湖区文三路 1 号"}}
}

// DefaultRooms are the fixture's four rooms.
func DefaultRooms() []*wuyepb.Room {
	room := func(id, b, bname, num, status string) *wuyepb.Room {
		return &wuyepb.Room{Id: id, CommunityId: CommunityID, BuildingId: b, Building: bname, Unit: "1单元", Number: num,
			Label: bname + "/1单元/" + num, Area: "89.50", Status: status}
	}
	return []*wuyepb.Room{
		room(Room101, Building1ID, "1栋", "101", "occupied"),
		room(Room102, Building1ID, "1栋", "102", "occupied"),
		room(Room201, Building2ID, "2栋", "201", "occupied"),
		room(Room202, Building2ID, "2栋", "202", "occupied"),
	}
}

// DefaultResidents are the fixture's five residents.
func DefaultResidents() []*wuyepb.Resident {
	return []*wuyepb.Resident{
		{Id: ResidentZhang, Name: "张伟", PhoneMasked: "138****1357", Gender: "male", BirthYear: 1956, RoomIds: []string{Room101}, Tags: []string{"owner", "elderly"}, UserId: "user-zhang"},
		{Id: ResidentLi, Name: "李娜", PhoneMasked: "139****2468", Gender: "female", BirthYear: 1988, RoomIds: []string{Room101}, Tags: []string{"family"}, UserId: "user-li"},
		{Id: ResidentWang, Name: "王小明", Gender: "male", BirthYear: 2015, RoomIds: []string{Room102}, Tags: []string{"owner", "child"}},
		{Id: ResidentZhao, Name: "赵敏", PhoneMasked: "137****9753", Gender: "female", BirthYear: 1979, RoomIds: []string{Room201}, Tags: []string{"owner"}, UserId: "user-zhao"},
		{Id: ResidentChen, Name: "陈刚", PhoneMasked: "136****8642", Gender: "male", BirthYear: 1992, RoomIds: []string{Room202}, Tags: []string{"tenant"}},
	}
}
