package main

import "math/bits"

// histogram is an HDR-style log-linear histogram of nanosecond values:
// values below 256 are exact, above that every power of two is split into
// 128 linear sub-buckets, so a bucket spans at most 1/128 (0.78 %) of its
// lower bound and the reported midpoint is within 0.4 % of any value in it.
type histogram struct {
	counts [64 * 128]int64
	n      int64
	min    int64
	max    int64
	sum    float64
}

const subBits = 7 // 128 sub-buckets per power of two

func bucketOf(v int64) int {
	if v < 0 {
		v = 0
	}
	if v < 1<<(subBits+1) {
		return int(v)
	}
	shift := bits.Len64(uint64(v)) - (subBits + 1)
	top := int(v >> uint(shift))
	return 1<<(subBits+1) + (shift-1)<<subBits + (top - 1<<subBits)
}

// bounds returns the [lo, hi) value range of bucket i.
func bounds(i int) (int64, int64) {
	if i < 1<<(subBits+1) {
		return int64(i), int64(i) + 1
	}
	j := i - 1<<(subBits+1)
	shift := j>>subBits + 1
	top := int64(j&(1<<subBits-1) + 1<<subBits)
	return top << uint(shift), (top + 1) << uint(shift)
}

func (h *histogram) record(v int64) {
	if v < 0 {
		v = 0
	}
	if h.n == 0 || v < h.min {
		h.min = v
	}
	if v > h.max {
		h.max = v
	}
	h.n++
	h.sum += float64(v)
	h.counts[bucketOf(v)]++
}

func (h *histogram) merge(o *histogram) {
	if o.n == 0 {
		return
	}
	if h.n == 0 || o.min < h.min {
		h.min = o.min
	}
	if o.max > h.max {
		h.max = o.max
	}
	h.n += o.n
	h.sum += o.sum
	for i, c := range o.counts {
		h.counts[i] += c
	}
}

// quantile returns the nearest-rank q-quantile (bucket midpoint, clamped to
// the exact min and max).
func (h *histogram) quantile(q float64) int64 {
	if h.n == 0 {
		return 0
	}
	rank := int64(q*float64(h.n) + 0.999999999)
	if rank < 1 {
		rank = 1
	}
	if rank >= h.n {
		return h.max
	}
	var cum int64
	for i, c := range h.counts {
		cum += c
		if cum >= rank {
			lo, hi := bounds(i)
			mid := lo + (hi-lo-1)/2
			if mid > h.max {
				mid = h.max
			}
			if mid < h.min {
				mid = h.min
			}
			return mid
		}
	}
	return h.max
}

// buckets lists the non-empty buckets as [lo, hi, count] triples.
func (h *histogram) buckets() [][3]int64 {
	out := [][3]int64{}
	for i, c := range h.counts {
		if c != 0 {
			lo, hi := bounds(i)
			out = append(out, [3]int64{lo, hi, c})
		}
	}
	return out
}
