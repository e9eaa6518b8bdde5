package main

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
)

// A small QR encoder (ISO/IEC 18004) with the standard library only, so the
// plugin can hand residents their check-in code as an image: byte mode,
// error correction level M, versions 1 to 6 (up to 106 bytes — a token is 22).

// qrBlocks per version at level M: number of blocks, data codewords per
// block, error-correction codewords per block (all blocks equal for 1–6).
var qrBlocks = [7][3]int{{}, {1, 16, 10}, {1, 28, 16}, {1, 44, 26}, {2, 32, 18}, {2, 43, 24}, {4, 27, 16}}

// qrMatrix encodes data; modules[y][x] is true for dark.
func qrMatrix(data []byte) ([][]bool, error) {
	ver, stream, err := qrCodewords(data)
	if err != nil {
		return nil, err
	}
	size := 17 + 4*ver
	m := &qrSymbol{size: size, dark: grid(size), fn: grid(size)}
	m.drawFunctionPatterns(ver)
	m.placeData(stream)

	// Choose the mask with the lowest penalty, as the standard asks.
	best, bestScore := 0, -1
	for mask := range 8 {
		m.applyMask(mask)
		m.drawFormat(mask)
		if s := m.penalty(); bestScore < 0 || s < bestScore {
			best, bestScore = mask, s
		}
		m.applyMask(mask) // XOR again: undone
	}
	m.applyMask(best)
	m.drawFormat(best)
	return m.dark, nil
}

// qrCodewords picks the smallest version that holds data and returns the
// interleaved data and error-correction codewords.
func qrCodewords(data []byte) (int, []byte, error) {
	ver := 0
	for v := 1; v <= 6; v++ {
		// mode (4 bits) + count (8 bits) + data must fit.
		if 4+8+8*len(data) <= 8*qrBlocks[v][0]*qrBlocks[v][1] {
			ver = v
			break
		}
	}
	if ver == 0 {
		return 0, nil, errors.New("qr: content too long")
	}
	nb, nd, ne := qrBlocks[ver][0], qrBlocks[ver][1], qrBlocks[ver][2]
	capacity := nb * nd

	// Bit stream: mode 0100, 8-bit count, bytes, terminator, padding.
	var bits []bool
	put := func(v, n int) {
		for i := n - 1; i >= 0; i-- {
			bits = append(bits, (v>>i)&1 == 1)
		}
	}
	put(4, 4)
	put(len(data), 8)
	for _, b := range data {
		put(int(b), 8)
	}
	put(0, min(4, capacity*8-len(bits)))
	for len(bits)%8 != 0 {
		bits = append(bits, false)
	}
	codewords := make([]byte, 0, capacity)
	for i := 0; i < len(bits); i += 8 {
		var b byte
		for j := range 8 {
			if bits[i+j] {
				b |= 1 << (7 - j)
			}
		}
		codewords = append(codewords, b)
	}
	for pad := byte(0xEC); len(codewords) < capacity; pad ^= 0xEC ^ 0x11 {
		codewords = append(codewords, pad)
	}

	// Blocks with their error correction, interleaved.
	gen := rsGenerator(ne)
	blocks := make([][]byte, nb)
	ecs := make([][]byte, nb)
	for i := range nb {
		blocks[i] = codewords[i*nd : (i+1)*nd]
		ecs[i] = rsRemainder(blocks[i], gen)
	}
	var stream []byte
	for j := range nd {
		for i := range nb {
			stream = append(stream, blocks[i][j])
		}
	}
	for j := range ne {
		for i := range nb {
			stream = append(stream, ecs[i][j])
		}
	}

	return ver, stream, nil
}

func grid(n int) [][]bool {
	g := make([][]bool, n)
	for i := range g {
		g[i] = make([]bool, n)
	}
	return g
}

type qrSymbol struct {
	size     int
	dark, fn [][]bool
}

func (m *qrSymbol) set(x, y int, dark bool) { m.dark[y][x], m.fn[y][x] = dark, true }

func (m *qrSymbol) drawFunctionPatterns(ver int) {
	for i := range m.size {
		m.set(6, i, i%2 == 0)
		m.set(i, 6, i%2 == 0)
	}
	for _, c := range [][2]int{{3, 3}, {m.size - 4, 3}, {3, m.size - 4}} {
		for dy := -4; dy <= 4; dy++ {
			for dx := -4; dx <= 4; dx++ {
				x, y := c[0]+dx, c[1]+dy
				if x >= 0 && x < m.size && y >= 0 && y < m.size {
					d := max(abs(dx), abs(dy))
					m.set(x, y, d != 2 && d != 4)
				}
			}
		}
	}
	if ver >= 2 { // versions 2–6 have one alignment pattern, near the bottom right
		p := m.size - 7
		for dy := -2; dy <= 2; dy++ {
			for dx := -2; dx <= 2; dx++ {
				m.set(p+dx, p+dy, max(abs(dx), abs(dy)) != 1)
			}
		}
	}
	m.drawFormat(0) // reserves the format areas (and the dark module)
}

// drawFormat writes the format information (level M, mask) twice.
func (m *qrSymbol) drawFormat(mask int) {
	data := 0<<3 | mask // level M is 00
	rem := data
	for range 10 {
		rem = rem<<1 ^ (rem>>9)*0x537
	}
	bits := (data<<10 | rem) ^ 0x5412
	bit := func(i int) bool { return (bits>>i)&1 == 1 }
	for i := range 6 {
		m.set(8, i, bit(i))
	}
	m.set(8, 7, bit(6))
	m.set(8, 8, bit(7))
	m.set(7, 8, bit(8))
	for i := 9; i < 15; i++ {
		m.set(14-i, 8, bit(i))
	}
	for i := range 8 {
		m.set(m.size-1-i, 8, bit(i))
	}
	for i := 8; i < 15; i++ {
		m.set(8, m.size-15+i, bit(i))
	}
	m.set(8, m.size-8, true)
}

// placeData lays the codewords in the zigzag of two-module columns.
func (m *qrSymbol) placeData(data []byte) {
	i := 0
	for right := m.size - 1; right >= 1; right -= 2 {
		if right == 6 {
			right = 5
		}
		for vert := range m.size {
			for j := range 2 {
				x := right - j
				y := vert
				if (right+1)&2 == 0 {
					y = m.size - 1 - vert
				}
				if !m.fn[y][x] && i < len(data)*8 {
					m.dark[y][x] = (data[i>>3]>>(7-i&7))&1 == 1
					i++
				}
			}
		}
	}
}

func (m *qrSymbol) applyMask(mask int) {
	for y := range m.size {
		for x := range m.size {
			if m.fn[y][x] {
				continue
			}
			var inv bool
			switch mask {
			case 0:
				inv = (x+y)%2 == 0
			case 1:
				inv = y%2 == 0
			case 2:
				inv = x%3 == 0
			case 3:
				inv = (x+y)%3 == 0
			case 4:
				inv = (x/3+y/2)%2 == 0
			case 5:
				inv = x*y%2+x*y%3 == 0
			case 6:
				inv = (x*y%2+x*y%3)%2 == 0
			case 7:
				inv = ((x+y)%2+x*y%3)%2 == 0
			}
			if inv {
				m.dark[y][x] = !m.dark[y][x]
			}
		}
	}
}

// penalty scores a masked symbol by the standard's four rules.
func (m *qrSymbol) penalty() int {
	n := m.size
	at := func(x, y int, transpose bool) bool {
		if transpose {
			return m.dark[x][y]
		}
		return m.dark[y][x]
	}
	score, dark := 0, 0
	finder := []bool{true, false, true, true, true, false, true}
	for _, tr := range []bool{false, true} {
		for y := range n {
			run := 1
			for x := 1; x <= n; x++ {
				if x < n && at(x, y, tr) == at(x-1, y, tr) {
					run++
					continue
				}
				if run >= 5 {
					score += 3 + run - 5
				}
				run = 1
			}
			// 1:1:3:1:1 with four light modules on one side.
			for x := 0; x+7 <= n; x++ {
				match := true
				for k, f := range finder {
					if at(x+k, y, tr) != f {
						match = false
						break
					}
				}
				if !match {
					continue
				}
				lightBefore, lightAfter := x >= 4, x+11 <= n
				for k := 1; k <= 4; k++ {
					if x-k >= 0 && at(x-k, y, tr) {
						lightBefore = false
					}
					if x+6+k < n && at(x+6+k, y, tr) {
						lightAfter = false
					}
				}
				if lightBefore || lightAfter {
					score += 40
				}
			}
		}
	}
	for y := range n {
		for x := range n {
			if m.dark[y][x] {
				dark++
			}
			if x+1 < n && y+1 < n {
				c := m.dark[y][x]
				if m.dark[y][x+1] == c && m.dark[y+1][x] == c && m.dark[y+1][x+1] == c {
					score += 3
				}
			}
		}
	}
	pct := dark * 100 / (n * n)
	score += abs(pct-50) / 5 * 10
	return score
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// GF(256) arithmetic with the QR polynomial x^8+x^4+x^3+x^2+1.
func gfMul(a, b byte) byte {
	var r byte
	for i := 7; i >= 0; i-- {
		hi := r&0x80 != 0
		r <<= 1
		if hi {
			r ^= 0x1D
		}
		if (b>>i)&1 == 1 {
			r ^= a
		}
	}
	return r
}

// rsGenerator is the Reed–Solomon generator polynomial of degree n
// (coefficients from the highest power, the leading 1 left out).
func rsGenerator(n int) []byte {
	g := make([]byte, n)
	g[n-1] = 1
	root := byte(1)
	for range n {
		for j := range n {
			g[j] = gfMul(g[j], root)
			if j+1 < n {
				g[j] ^= g[j+1]
			}
		}
		root = gfMul(root, 2)
	}
	return g
}

// rsRemainder is the error-correction codewords of data.
func rsRemainder(data, gen []byte) []byte {
	r := make([]byte, len(gen))
	for _, b := range data {
		f := b ^ r[0]
		copy(r, r[1:])
		r[len(r)-1] = 0
		for i, g := range gen {
			r[i] ^= gfMul(g, f)
		}
	}
	return r
}

// qrPNG renders content as a PNG QR code, scale pixels a module, with the
// four-module quiet zone scanners need.
func qrPNG(content string, scale int) ([]byte, error) {
	mods, err := qrMatrix([]byte(content))
	if err != nil {
		return nil, err
	}
	n := len(mods)
	side := (n + 8) * scale
	img := image.NewGray(image.Rect(0, 0, side, side))
	for i := range img.Pix {
		img.Pix[i] = 0xFF
	}
	for y := range n {
		for x := range n {
			if !mods[y][x] {
				continue
			}
			for dy := range scale {
				for dx := range scale {
					img.SetGray((x+4)*scale+dx, (y+4)*scale+dy, color.Gray{})
				}
			}
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
