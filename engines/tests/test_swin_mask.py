"""The ResShift shifted-window mask vs hand-worked cases (and vs the stock Swin mask it must NOT equal)."""
import numpy as np
import torch

from resshift_models.swin import resshift_shift_mask, stock_swin_mask, to_windows, from_windows

M = -100.0


def _expect(nwr, nwc, window=8, shift=4):
    """Hand-worked expectation: only windows of the LAST window row are masked, and there tokens are split by
    their column inside the window (c < window-shift vs c >= window-shift)."""
    n = window * window
    out = np.zeros((nwr * nwc, n, n), np.float32)
    for w in range((nwr - 1) * nwc, nwr * nwc):
        for i in range(n):
            for j in range(n):
                if (i % window < window - shift) != (j % window < window - shift):
                    out[w, i, j] = M
    return out


def test_mask_16x16_hand_worked():
    m = resshift_shift_mask(16, 16, 8, 4)
    assert m.shape == (4, 64, 64) and m.dtype == np.float32
    assert not m[0].any() and not m[1].any()          # first window row: nothing masked
    # window 2 (bottom-left): token 0 = (r0,c0), token 4 = (r0,c4), token 8 = (r1,c0), token 63 = (r7,c7)
    assert m[2, 0, 4] == M and m[2, 4, 0] == M
    assert m[2, 0, 1] == 0 and m[2, 0, 3] == 0 and m[2, 0, 8] == 0 and m[2, 0, 56] == 0
    assert m[2, 0, 63] == M and m[2, 7, 63] == 0 and m[2, 3, 59] == 0
    assert (m[3] == m[2]).all()                       # every window of the last row is identical
    assert set(np.unique(m).tolist()) == {0.0, M}
    assert np.array_equal(m, _expect(2, 2))


def test_mask_rectangular_and_larger():
    assert np.array_equal(resshift_shift_mask(24, 16, 8, 4), _expect(3, 2))
    assert np.array_equal(resshift_shift_mask(16, 24, 8, 4), _expect(2, 3))
    assert np.array_equal(resshift_shift_mask(64, 64, 8, 4), _expect(8, 8))
    # a 4x4 window, shift 2 (generic sizes)
    assert np.array_equal(resshift_shift_mask(8, 12, 4, 2), _expect(2, 3, 4, 2))
    assert resshift_shift_mask(16, 16, 8, 0) is None


def test_mask_differs_from_stock_swin():
    r, s = resshift_shift_mask(16, 16, 8, 4), stock_swin_mask(16, 16, 8, 4)
    assert s[1].any() and not r[1].any()     # stock Swin masks the top-right window, ResShift's does not
    assert not np.array_equal(r, s)
    # stock Swin splits the bottom-left window by ROW; ResShift's splits it by COLUMN
    assert s[2, 0, 32] == M and s[2, 0, 4] == 0
    assert r[2, 0, 32] == 0 and r[2, 0, 4] == M


def test_window_partition_round_trip():
    x = torch.arange(2 * 3 * 16 * 24, dtype=torch.float32).reshape(2, 3, 16, 24)
    w = to_windows(x, 8)
    assert w.shape == (2 * 6, 64, 3)
    # window 1 of image 0 = rows 0..7, cols 8..15; token 9 = (r1, c1) -> pixel (1, 9)
    assert torch.equal(w[1, 9], x[0, :, 1, 9])
    assert torch.equal(from_windows(w, 8, 3, 16, 24), x)
