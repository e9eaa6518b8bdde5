package sim

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
)

// pictures draws the camera's two JPEGs: a scene with a car and its plate,
// and the plate close-up.
func pictures() (scene, plate []byte, err error) {
	blue := color.RGBA{0x10, 0x3c, 0xc8, 0xff}
	img := image.NewRGBA(image.Rect(0, 0, 320, 180))
	draw.Draw(img, img.Bounds(), &image.Uniform{color.RGBA{0x60, 0x64, 0x6a, 0xff}}, image.Point{}, draw.Src)
	draw.Draw(img, image.Rect(80, 50, 240, 150), &image.Uniform{color.RGBA{0xd8, 0xd8, 0xd8, 0xff}}, image.Point{}, draw.Src)
	draw.Draw(img, image.Rect(130, 120, 190, 138), &image.Uniform{blue}, image.Point{}, draw.Src)
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 70}); err != nil {
		return nil, nil, err
	}
	scene = append([]byte(nil), b.Bytes()...)
	p := image.NewRGBA(image.Rect(0, 0, 120, 36))
	draw.Draw(p, p.Bounds(), &image.Uniform{blue}, image.Point{}, draw.Src)
	draw.Draw(p, image.Rect(4, 4, 116, 32), &image.Uniform{color.White}, image.Point{}, draw.Over)
	draw.Draw(p, image.Rect(6, 6, 114, 30), &image.Uniform{blue}, image.Point{}, draw.Src)
	b.Reset()
	if err := jpeg.Encode(&b, p, &jpeg.Options{Quality: 70}); err != nil {
		return nil, nil, err
	}
	return scene, b.Bytes(), nil
}
