"""The PyTorch side of benchmarks/java/OpProfile.java: forward and forward+backward time of the U-Net's building
blocks at the fashion-mnist model's shapes (batch 128), as the peer computes them.
Run: /usr/bin/python3 benchmarks/op_profile.py [iters] [threads]"""
import sys, time, torch, torch.nn.functional as F

iters = int(sys.argv[1]) if len(sys.argv) > 1 else 7
torch.set_num_threads(int(sys.argv[2]) if len(sys.argv) > 2 else 2)
w32 = torch.randn(32, 32, 3, 3) * 0.05; w64 = torch.randn(64, 64, 3, 3) * 0.05
b32 = torch.zeros(32); b64 = torch.zeros(64); g32 = torch.ones(32); g64 = torch.ones(64)
wqkv = torch.randn(64, 64) * 0.1; bqkv = torch.zeros(64)

def attention(x):
    B, C, H, W = x.shape
    h = x.reshape(B, C, H * W).transpose(1, 2)
    q, k, v = F.linear(h, wqkv, bqkv), F.linear(h, wqkv, bqkv), F.linear(h, wqkv, bqkv)
    w = torch.softmax((q * 0.125) @ k.transpose(1, 2), dim=-1)
    return (F.linear(w @ v, wqkv, bqkv)).transpose(1, 2).reshape(B, C, H, W) + x

def timed(shape, op):
    fwd, both = [], []
    for i in range(iters + 2):
        x = torch.randn(*shape)
        t0 = time.perf_counter()
        with torch.no_grad():
            op(x)
        t1 = time.perf_counter()
        x.requires_grad_(True)
        op(x).sum().backward()
        t2 = time.perf_counter()
        if i >= 2:
            fwd.append((t1 - t0) * 1e3); both.append((t2 - t1) * 1e3)
    return sorted(fwd)[len(fwd) // 2], sorted(both)[len(both) // 2]

s28, s14, s7 = (128, 32, 28, 28), (128, 64, 14, 14), (128, 64, 7, 7)
for name, shape, op in [
        ("conv3x3 32ch 28x28", s28, lambda x: F.conv2d(x, w32, b32, padding=1)),
        ("conv3x3 64ch 14x14", s14, lambda x: F.conv2d(x, w64, b64, padding=1)),
        ("groupnorm 32ch 28x28", s28, lambda x: F.group_norm(x, 8, g32, b32)),
        ("groupnorm 64ch 14x14", s14, lambda x: F.group_norm(x, 8, g64, b64)),
        ("silu 32ch 28x28", s28, F.silu),
        ("attention 64ch 7x7 1 head", s7, attention)]:
    f, b = timed(shape, op)
    print(f"{name:28s} forward {f:7.1f} ms   forward+backward {b:7.1f} ms")
