#!/usr/bin/env python3
"""The PyTorch peer of the sampling benchmark: diffusers' UNet2DModel in plain PyTorch (no diffusers
needed: Debian's python3-torch is enough), loaded from a diffusers model folder, so both sides run the
SAME model with the SAME weights.

  peer_unet2d.py check FIXTURE_DIR           # its output = the real diffusers' (fixtures/diffusers), or exit 1
  peer_unet2d.py bench MODEL_DIR --n N --batch B --steps S --threads T [--guided]

`bench` makes the network calls `diffusion4j sample -n N --batch B --steps S` makes (torch.no_grad,
float32, eval mode): batches of B images (the last one shorter), doubled with --guided (the conditional
and unconditional halves of classifier-free guidance in one batch, as diffusion4j runs them), S times,
and prints image-evaluations per second: the forward pass alone, without any sampler arithmetic.

Covers what diffusion4j's models use: DownBlock2D/AttnDownBlock2D, UpBlock2D/AttnUpBlock2D,
UNetMidBlock2D with attention, positional time embedding (flip_sin_to_cos, freq_shift), class
embeddings (num_class_embeds), resnet_time_scale_shift=default, conv down/upsampling.
"""
import argparse, json, math, os, struct, sys, time

import torch
import torch.nn as nn
import torch.nn.functional as F

DTYPES = {"F32": torch.float32, "I64": torch.int64}


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for k, v in header.items():
        if k == "__metadata__":
            continue
        a, b = v["data_offsets"]
        t = torch.frombuffer(bytearray(data[a:b]), dtype=DTYPES[v["dtype"]]).reshape(v["shape"])
        out[k] = t.clone()
    return out


class Resnet(nn.Module):
    def __init__(self, cin, cout, temb, groups, eps):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, cin, eps=eps)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.time_emb_proj = nn.Linear(temb, cout)
        self.norm2 = nn.GroupNorm(groups, cout, eps=eps)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.conv_shortcut = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x, temb):
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.time_emb_proj(F.silu(temb))[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return (self.conv_shortcut(x) if self.conv_shortcut is not None else x) + h


class Attention(nn.Module):
    """diffusers' Attention as UNet2DModel's blocks use it: GroupNorm, q/k/v over the pixels, residual."""

    def __init__(self, c, head_dim, groups, eps):
        super().__init__()
        self.heads = c // head_dim if head_dim else 1
        self.group_norm = nn.GroupNorm(groups, c, eps=eps)
        self.to_q = nn.Linear(c, c)
        self.to_k = nn.Linear(c, c)
        self.to_v = nn.Linear(c, c)
        self.to_out = nn.ModuleList([nn.Linear(c, c)])

    def forward(self, x):
        b, c, h, w = x.shape
        y = self.group_norm(x).view(b, c, h * w).transpose(1, 2)
        q, k, v = (p(y).view(b, h * w, self.heads, c // self.heads).transpose(1, 2) for p in (self.to_q, self.to_k, self.to_v))
        a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(c // self.heads), dim=-1) @ v
        y = self.to_out[0](a.transpose(1, 2).reshape(b, h * w, c))
        return y.transpose(1, 2).reshape(b, c, h, w) + x


class Down(nn.Module):
    def __init__(self, cin, cout, n, temb, groups, eps, attn, head_dim, last):
        super().__init__()
        self.resnets = nn.ModuleList([Resnet(cin if i == 0 else cout, cout, temb, groups, eps) for i in range(n)])
        self.attentions = nn.ModuleList([Attention(cout, head_dim, groups, eps) for _ in range(n)]) if attn else None
        self.downsamplers = None if last else nn.ModuleList([nn.Module()])
        if not last:
            self.downsamplers[0].conv = nn.Conv2d(cout, cout, 3, stride=2, padding=1)

    def forward(self, x, temb):
        skips = []
        for i, r in enumerate(self.resnets):
            x = r(x, temb)
            if self.attentions is not None:
                x = self.attentions[i](x)
            skips.append(x)
        if self.downsamplers is not None:
            x = self.downsamplers[0].conv(x)
            skips.append(x)
        return x, skips


class Up(nn.Module):
    def __init__(self, cin_skips, cprev, cout, n, temb, groups, eps, attn, head_dim, last):
        super().__init__()
        self.resnets = nn.ModuleList([Resnet((cprev if i == 0 else cout) + cin_skips[i], cout, temb, groups, eps) for i in range(n)])
        self.attentions = nn.ModuleList([Attention(cout, head_dim, groups, eps) for _ in range(n)]) if attn else None
        self.upsamplers = None if last else nn.ModuleList([nn.Module()])
        if not last:
            self.upsamplers[0].conv = nn.Conv2d(cout, cout, 3, padding=1)

    def forward(self, x, skips, temb):
        for i, r in enumerate(self.resnets):
            x = r(torch.cat([x, skips.pop()], dim=1), temb)
            if self.attentions is not None:
                x = self.attentions[i](x)
        if self.upsamplers is not None:
            x = self.upsamplers[0].conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))
        return x


class Mid(nn.Module):
    def __init__(self, c, temb, groups, eps, head_dim):
        super().__init__()
        self.resnets = nn.ModuleList([Resnet(c, c, temb, groups, eps), Resnet(c, c, temb, groups, eps)])
        self.attentions = nn.ModuleList([Attention(c, head_dim, groups, eps)])

    def forward(self, x, temb):
        x = self.resnets[0](x, temb)
        return self.resnets[1](self.attentions[0](x), temb)


class UNet2DModel(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        ch = cfg["block_out_channels"]
        n = cfg["layers_per_block"]
        g = cfg.get("norm_num_groups", 32)
        eps = cfg.get("norm_eps", 1e-5)
        hd = cfg.get("attention_head_dim")
        for key, want in (("resnet_time_scale_shift", "default"), ("time_embedding_type", "positional"), ("act_fn", "silu"),
                          ("downsample_type", "conv"), ("upsample_type", "conv")):
            if cfg.get(key, want) != want:
                sys.exit(f"peer_unet2d.py: {key} = {cfg[key]} is not covered (only {want})")
        self.flip, self.shift, self.c0 = cfg.get("flip_sin_to_cos", True), cfg.get("freq_shift", 0), ch[0]
        temb = ch[0] * 4
        self.conv_in = nn.Conv2d(cfg["in_channels"], ch[0], 3, padding=1)
        self.time_embedding = nn.Module()
        self.time_embedding.linear_1 = nn.Linear(ch[0], temb)
        self.time_embedding.linear_2 = nn.Linear(temb, temb)
        k = cfg.get("num_class_embeds")
        self.class_embedding = nn.Embedding(k, temb) if k else None
        self.down_blocks = nn.ModuleList()
        skip_channels = [ch[0]]
        for i, t in enumerate(cfg["down_block_types"]):
            last = i == len(ch) - 1
            self.down_blocks.append(Down(ch[i - 1] if i else ch[0], ch[i], n, temb, g, eps, t.startswith("Attn"), hd, last))
            skip_channels += [ch[i]] * n + ([] if last else [ch[i]])
        self.mid_block = Mid(ch[-1], temb, g, eps, hd)
        self.up_blocks = nn.ModuleList()
        rev = list(reversed(ch))
        for i, t in enumerate(cfg["up_block_types"]):
            skips = [skip_channels.pop() for _ in range(n + 1)]
            self.up_blocks.append(Up(skips, rev[i - 1] if i else rev[0], rev[i], n + 1, temb, g, eps, t.startswith("Attn"), hd,
                                     i == len(ch) - 1))
        self.conv_norm_out = nn.GroupNorm(g, ch[0], eps=eps)
        self.conv_out = nn.Conv2d(ch[0], cfg["out_channels"], 3, padding=1)

    def timestep_embedding(self, t):
        half = self.c0 // 2
        freqs = torch.exp(-math.log(10000) * torch.arange(half, dtype=torch.float32) / (half - self.shift))
        e = t.float()[:, None] * freqs[None]
        e = torch.cat([torch.sin(e), torch.cos(e)], dim=-1)
        return torch.cat([e[:, half:], e[:, :half]], dim=-1) if self.flip else e

    def forward(self, x, t, labels=None):
        temb = self.time_embedding.linear_2(F.silu(self.time_embedding.linear_1(self.timestep_embedding(t))))
        if self.class_embedding is not None:
            temb = temb + self.class_embedding(labels)
        x = self.conv_in(x)
        skips = [x]
        for d in self.down_blocks:
            x, s = d(x, temb)
            skips += s
        x = self.mid_block(x, temb)
        for u in self.up_blocks:
            x = u(x, skips, temb)
        return self.conv_out(F.silu(self.conv_norm_out(x)))


def load(model_dir):
    unet = os.path.join(model_dir, "unet")
    cfg = json.load(open(os.path.join(unet, "config.json")))
    m = UNet2DModel(cfg)
    m.load_state_dict(read_safetensors(os.path.join(unet, "diffusion_pytorch_model.safetensors")), strict=True)
    return m.eval(), cfg


def check(a):
    m, _ = load(a.model)
    io = read_safetensors(os.path.join(a.model, "reference", "unet_io.safetensors"))
    with torch.no_grad():
        out = m(io["sample"], io["timestep"])
    err = (out - io["out"]).abs().max().item()
    print(f"max |peer - diffusers| = {err:.3g} over {tuple(out.shape)}")
    sys.exit(0 if err < 1e-4 else 1)


def bench(a):
    """The network calls of `diffusion4j sample -n N --batch B --steps S` (guided: each batch doubled), timed."""
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    m, cfg = load(a.model)
    s = cfg["sample_size"]
    k = cfg.get("num_class_embeds")
    params = sum(p.numel() for p in m.parameters())
    batches = [min(a.batch, a.n - first) * (2 if a.guided else 1) for first in range(0, a.n, a.batch)]
    inputs = []
    for b in batches:
        x = torch.randn(b, cfg["in_channels"], s, s)
        labels = torch.arange(b) % k if k else None
        inputs.append((x, labels))
    with torch.no_grad():  # no warm-up: `diffusion4j sample`'s time includes its first calls too
        start = time.perf_counter()
        for step in range(a.steps):
            t = 999 - step * (1000 // a.steps)
            for x, labels in inputs:
                m(x, torch.full((x.shape[0],), t, dtype=torch.int64), labels)
        sec = time.perf_counter() - start
    evals = sum(batches) * a.steps
    print(f"params {params} calls {len(batches) * a.steps} (batches {batches}) x {a.steps} steps: {sec:.3f} s -> "
          f"{evals / sec:.1f} evaluations/s")


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("cmd", choices=["check", "bench"])
    p.add_argument("model")
    p.add_argument("--n", type=int, default=80)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--steps", type=int, default=50)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--guided", action="store_true")
    a = p.parse_args()
    check(a) if a.cmd == "check" else bench(a)
