"""Building blocks of the SoVITS v1/v2 synthesizer, inference only.

Attribute names reproduce the keys of upstream GPT-SoVITS ``.pth`` files, so a
state dict loads key for key. Everything here runs on a batch of one with no
padding, which is how synthesis calls it: every mask upstream builds from the
lengths is all ones there, and multiplying by one or filling nothing is exact,
so the masks are left out. Weight-normalised layers keep upstream's
``weight_g``/``weight_v`` pair for loading and are folded into a plain
``weight`` afterwards (:func:`fold_weight_norms`), computed by the same
``torch._weight_norm`` the upstream hook calls on every forward pass.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

LRELU_SLOPE = 0.1


# ---------------------------------------------------------------- weight norm
class _WeightNormMixin:
    """Stores the kernel as ``weight_g`` (per output channel) and ``weight_v``."""

    def _split_weight(self) -> None:
        v = self.weight.detach().clone()
        del self.weight
        self.weight_v = nn.Parameter(v)
        self.weight_g = nn.Parameter(torch.linalg.vector_norm(v, dim=tuple(range(1, v.dim())), keepdim=True))

    def _current_weight(self) -> torch.Tensor:
        if "weight_v" in self._parameters:
            return torch._weight_norm(self.weight_v, self.weight_g, 0)
        return self.weight

    def fold(self) -> None:
        """Replace ``weight_g``/``weight_v`` by the ``weight`` they stand for (same numbers)."""
        if "weight_v" not in self._parameters:
            return
        weight = torch._weight_norm(self.weight_v, self.weight_g, 0).detach()
        del self.weight_v
        del self.weight_g
        self.weight = nn.Parameter(weight)


class WNConv1d(_WeightNormMixin, nn.Conv1d):
    """``nn.Conv1d`` under weight normalisation (keys ``weight_g``, ``weight_v``, ``bias``)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._split_weight()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._conv_forward(x, self._current_weight(), self.bias)


class WNConvTranspose1d(_WeightNormMixin, nn.ConvTranspose1d):
    """``nn.ConvTranspose1d`` under weight normalisation (dim 0 as upstream)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._split_weight()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv_transpose1d(
            x, self._current_weight(), self.bias, self.stride, self.padding, self.output_padding, self.groups,
            self.dilation,
        )


def fold_weight_norms(module: nn.Module) -> None:
    """Fold every weight-normalised layer below ``module`` into a plain weight."""
    for sub in module.modules():
        if isinstance(sub, _WeightNormMixin):
            sub.fold()


# ------------------------------------------------------------ text encoder parts
class ChannelLayerNorm(nn.Module):
    """LayerNorm over the channel axis of (B, C, T) tensors; keys ``gamma``, ``beta``."""

    def __init__(self, channels: int, eps: float = 1e-5):
        super().__init__()
        self.channels = channels
        self.eps = eps
        self.gamma = nn.Parameter(torch.ones(channels))
        self.beta = nn.Parameter(torch.zeros(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.layer_norm(x.transpose(1, -1), (self.channels,), self.gamma, self.beta, self.eps)  # (B, T, C)
        return y.transpose(1, -1)  # (B, C, T)


class ConvAttention(nn.Module):
    """Multi-head attention with 1x1 conv projections, optionally with relative
    position embeddings shared by all heads (window ``window_size`` each side)."""

    def __init__(self, channels: int, n_heads: int, window_size: int | None = None):
        super().__init__()
        assert channels % n_heads == 0
        self.n_heads = n_heads
        self.k_channels = channels // n_heads
        self.window_size = window_size
        self.conv_q = nn.Conv1d(channels, channels, 1)
        self.conv_k = nn.Conv1d(channels, channels, 1)
        self.conv_v = nn.Conv1d(channels, channels, 1)
        self.conv_o = nn.Conv1d(channels, channels, 1)
        if window_size is not None:
            self.emb_rel_k = nn.Parameter(torch.randn(1, 2 * window_size + 1, self.k_channels) * self.k_channels**-0.5)
            self.emb_rel_v = nn.Parameter(torch.randn(1, 2 * window_size + 1, self.k_channels) * self.k_channels**-0.5)

    def forward(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        """x: (B, C, Tq) queries, c: (B, C, Tk) keys/values -> (B, C, Tq)."""
        b, d, t_q = x.shape
        t_k = c.size(2)
        h, kc = self.n_heads, self.k_channels
        q = self.conv_q(x).view(b, h, kc, t_q).transpose(2, 3)  # (B, H, Tq, kc)
        k = self.conv_k(c).view(b, h, kc, t_k).transpose(2, 3)  # (B, H, Tk, kc)
        v = self.conv_v(c).view(b, h, kc, t_k).transpose(2, 3)  # (B, H, Tk, kc)
        q = q / math.sqrt(kc)
        scores = torch.matmul(q, k.transpose(-2, -1))  # (B, H, Tq, Tk)
        if self.window_size is not None:
            rel_k = self._relative_window(self.emb_rel_k, t_k)  # (1, 2T-1, kc)
            rel_logits = torch.matmul(q, rel_k.unsqueeze(0).transpose(-2, -1))  # (B, H, T, 2T-1)
            scores = scores + _relative_to_absolute(rel_logits)
        p_attn = F.softmax(scores, dim=-1)  # (B, H, Tq, Tk)
        out = torch.matmul(p_attn, v)  # (B, H, Tq, kc)
        if self.window_size is not None:
            rel_v = self._relative_window(self.emb_rel_v, t_k)  # (1, 2T-1, kc)
            out = out + torch.matmul(_absolute_to_relative(p_attn), rel_v.unsqueeze(0))
        out = out.transpose(2, 3).contiguous().view(b, d, t_q)  # (B, C, Tq)
        return self.conv_o(out)

    def _relative_window(self, emb: torch.Tensor, length: int) -> torch.Tensor:
        """Embeddings for offsets -(length-1)..(length-1); zeros beyond the window."""
        w = self.window_size
        pad = max(length - (w + 1), 0)
        start = max((w + 1) - length, 0)
        if pad > 0:
            emb = F.pad(emb, (0, 0, pad, pad))
        return emb[:, start : start + 2 * length - 1]


def _relative_to_absolute(x: torch.Tensor) -> torch.Tensor:
    """(B, H, L, 2L-1) indexed by relative offset -> (B, H, L, L) by key position."""
    b, h, length, _ = x.shape
    x = F.pad(x, (0, 1)).view(b, h, 2 * length * length)  # (B, H, 2L*L)
    x = F.pad(x, (0, length - 1))
    return x.view(b, h, length + 1, 2 * length - 1)[:, :, :length, length - 1 :]


def _absolute_to_relative(x: torch.Tensor) -> torch.Tensor:
    """(B, H, L, L) by key position -> (B, H, L, 2L-1) by relative offset."""
    b, h, length, _ = x.shape
    x = F.pad(x, (0, length - 1)).view(b, h, length * (2 * length - 1))
    x = F.pad(x, (length, 0))
    return x.view(b, h, length, 2 * length)[:, :, :, 1:]


class FFN(nn.Module):
    """Two 'same'-padded convolutions with a ReLU between them."""

    def __init__(self, channels: int, filter_channels: int, kernel_size: int):
        super().__init__()
        self.pad = ((kernel_size - 1) // 2, kernel_size // 2)
        self.conv_1 = nn.Conv1d(channels, filter_channels, kernel_size)
        self.conv_2 = nn.Conv1d(filter_channels, channels, kernel_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.relu(self.conv_1(F.pad(x, self.pad)))  # (B, F, T)
        return self.conv_2(F.pad(x, self.pad))  # (B, C, T)


class AttentionEncoder(nn.Module):
    """Post-norm transformer stack with relative attention (upstream ``attentions.Encoder``)."""

    def __init__(self, channels: int, filter_channels: int, n_heads: int, n_layers: int, kernel_size: int,
                 window_size: int = 4):
        super().__init__()
        self.attn_layers = nn.ModuleList(ConvAttention(channels, n_heads, window_size) for _ in range(n_layers))
        self.norm_layers_1 = nn.ModuleList(ChannelLayerNorm(channels) for _ in range(n_layers))
        self.ffn_layers = nn.ModuleList(FFN(channels, filter_channels, kernel_size) for _ in range(n_layers))
        self.norm_layers_2 = nn.ModuleList(ChannelLayerNorm(channels) for _ in range(n_layers))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for attn, norm1, ffn, norm2 in zip(self.attn_layers, self.norm_layers_1, self.ffn_layers, self.norm_layers_2):
            x = norm1(x + attn(x, x))  # (B, C, T)
            x = norm2(x + ffn(x))
        return x


class MRTE(nn.Module):
    """Multi-reference timbre encoder: content attends to text, plus the speaker embedding."""

    def __init__(self, content_channels: int = 192, hidden_size: int = 512, n_heads: int = 4):
        super().__init__()
        self.cross_attention = ConvAttention(hidden_size, n_heads)
        self.c_pre = nn.Conv1d(content_channels, hidden_size, 1)
        self.text_pre = nn.Conv1d(content_channels, hidden_size, 1)
        self.c_post = nn.Conv1d(hidden_size, content_channels, 1)

    def forward(self, ssl_enc: torch.Tensor, text: torch.Tensor, ge: torch.Tensor) -> torch.Tensor:
        """ssl_enc: (B, 192, T), text: (B, 192, N), ge: (B, 512, 1) -> (B, 192, T)."""
        ssl_enc = self.c_pre(ssl_enc)  # (B, 512, T)
        text_enc = self.text_pre(text)  # (B, 512, N)
        x = self.cross_attention(ssl_enc, text_enc) + ssl_enc + ge
        return self.c_post(x)


# ------------------------------------------------------------------- flow
class WN(nn.Module):
    """WaveNet-style gated dilated conv stack conditioned on a global vector."""

    def __init__(self, hidden_channels: int, kernel_size: int, dilation_rate: int, n_layers: int, gin_channels: int):
        super().__init__()
        self.hidden_channels = hidden_channels
        self.n_layers = n_layers
        self.cond_layer = WNConv1d(gin_channels, 2 * hidden_channels * n_layers, 1)
        self.in_layers = nn.ModuleList()
        self.res_skip_layers = nn.ModuleList()
        for i in range(n_layers):
            dilation = dilation_rate**i
            self.in_layers.append(
                WNConv1d(hidden_channels, 2 * hidden_channels, kernel_size, dilation=dilation,
                         padding=(kernel_size * dilation - dilation) // 2)
            )
            out = 2 * hidden_channels if i < n_layers - 1 else hidden_channels
            self.res_skip_layers.append(WNConv1d(hidden_channels, out, 1))

    def forward(self, x: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        """x: (B, H, T), g: (B, gin, 1) -> (B, H, T)."""
        hc = self.hidden_channels
        g = self.cond_layer(g)  # (B, 2H*n_layers, 1)
        output = None
        for i in range(self.n_layers):
            a = self.in_layers[i](x) + g[:, 2 * i * hc : 2 * (i + 1) * hc]  # (B, 2H, T)
            acts = torch.tanh(a[:, :hc]) * torch.sigmoid(a[:, hc:])  # (B, H, T)
            res_skip = self.res_skip_layers[i](acts)
            if i < self.n_layers - 1:
                x = x + res_skip[:, :hc]
                skip = res_skip[:, hc:]
            else:
                skip = res_skip
            output = skip if output is None else output + skip
        return output


class ResidualCouplingLayer(nn.Module):
    """Mean-only affine coupling: the second half is shifted by a function of the first."""

    def __init__(self, channels: int, hidden_channels: int, kernel_size: int, dilation_rate: int, n_layers: int,
                 gin_channels: int):
        super().__init__()
        self.half_channels = channels // 2
        self.pre = nn.Conv1d(self.half_channels, hidden_channels, 1)
        self.enc = WN(hidden_channels, kernel_size, dilation_rate, n_layers, gin_channels)
        self.post = nn.Conv1d(hidden_channels, self.half_channels, 1)

    def reverse(self, x: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        x0, x1 = torch.split(x, [self.half_channels] * 2, 1)  # (B, C/2, T) each
        m = self.post(self.enc(self.pre(x0), g))
        return torch.cat([x0, x1 - m], 1)


class Flip(nn.Module):
    """Reverses the channel order (no parameters; keeps upstream's module indices)."""

    def reverse(self, x: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        return torch.flip(x, [1])


class ResidualCouplingBlock(nn.Module):
    """Normalising flow of coupling layers and flips; only the reverse direction is used."""

    def __init__(self, channels: int, hidden_channels: int, kernel_size: int, dilation_rate: int, n_layers: int,
                 gin_channels: int, n_flows: int = 4):
        super().__init__()
        self.flows = nn.ModuleList()
        for _ in range(n_flows):
            self.flows.append(
                ResidualCouplingLayer(channels, hidden_channels, kernel_size, dilation_rate, n_layers, gin_channels)
            )
            self.flows.append(Flip())

    def reverse(self, x: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        for flow in reversed(self.flows):
            x = flow.reverse(x, g)
        return x


# --------------------------------------------------------------- generator
def _same_padding(kernel_size: int, dilation: int) -> int:
    return (kernel_size * dilation - dilation) // 2


def _conv_nhwc(conv: nn.Conv1d, x: torch.Tensor) -> torch.Tensor:
    """Apply a 1-D conv to (B, C, 1, T) channels-last input as a 2-D conv.

    oneDNN runs channels-last convolutions without reordering the activations to
    and from its blocked layout on every call, which is most of the generator's
    cost at 16-64 channels; the result equals the 1-D conv up to float rounding.
    """
    weight = conv._current_weight() if isinstance(conv, _WeightNormMixin) else conv.weight
    return F.conv2d(x, weight.unsqueeze(2), conv.bias, (1, conv.stride[0]), (0, conv.padding[0]),
                    (1, conv.dilation[0]))


class ResBlock1(nn.Module):
    """Three (dilated conv, conv) residual pairs; works on (B, C, 1, T) channels-last tensors."""

    def __init__(self, channels: int, kernel_size: int, dilation: tuple[int, ...]):
        super().__init__()
        self.convs1 = nn.ModuleList(
            WNConv1d(channels, channels, kernel_size, dilation=d, padding=_same_padding(kernel_size, d))
            for d in dilation
        )
        self.convs2 = nn.ModuleList(
            WNConv1d(channels, channels, kernel_size, padding=_same_padding(kernel_size, 1)) for _ in dilation
        )

    def forward(self, x: torch.Tensor, x_act: torch.Tensor | None = None) -> torch.Tensor:
        """x: (B, C, 1, T); x_act: leaky_relu(x) if the caller already has it."""
        for n, (c1, c2) in enumerate(zip(self.convs1, self.convs2)):
            xt = _conv_nhwc(c1, x_act if n == 0 and x_act is not None else F.leaky_relu(x, LRELU_SLOPE))
            F.leaky_relu(xt, LRELU_SLOPE, inplace=True)
            xt = _conv_nhwc(c2, xt)
            xt += x
            x = xt
        return x


class ResBlock2(nn.Module):
    """Dilated conv residual steps (HiFi-GAN's lighter block); (B, C, 1, T) channels-last tensors."""

    def __init__(self, channels: int, kernel_size: int, dilation: tuple[int, ...]):
        super().__init__()
        self.convs = nn.ModuleList(
            WNConv1d(channels, channels, kernel_size, dilation=d, padding=_same_padding(kernel_size, d))
            for d in dilation
        )

    def forward(self, x: torch.Tensor, x_act: torch.Tensor | None = None) -> torch.Tensor:
        for n, c in enumerate(self.convs):
            xt = _conv_nhwc(c, x_act if n == 0 and x_act is not None else F.leaky_relu(x, LRELU_SLOPE))
            xt += x
            x = xt
        return x


class Generator(nn.Module):
    """HiFi-GAN generator: latent frames (B, C, T) -> waveform (B, 1, T * prod(upsample_rates))."""

    def __init__(self, initial_channel: int, resblock: str, resblock_kernel_sizes: list[int],
                 resblock_dilation_sizes: list[list[int]], upsample_rates: list[int], upsample_initial_channel: int,
                 upsample_kernel_sizes: list[int], gin_channels: int):
        super().__init__()
        self.num_kernels = len(resblock_kernel_sizes)
        self.conv_pre = nn.Conv1d(initial_channel, upsample_initial_channel, 7, 1, padding=3)
        block = ResBlock1 if resblock == "1" else ResBlock2
        self.ups = nn.ModuleList()
        self.resblocks = nn.ModuleList()
        ch = upsample_initial_channel
        for i, (u, k) in enumerate(zip(upsample_rates, upsample_kernel_sizes)):
            ch = upsample_initial_channel // (2 ** (i + 1))
            self.ups.append(WNConvTranspose1d(2 * ch, ch, k, u, padding=(k - u) // 2))
            for rk, rd in zip(resblock_kernel_sizes, resblock_dilation_sizes):
                self.resblocks.append(block(ch, rk, tuple(rd)))
        self.conv_post = nn.Conv1d(ch, 1, 7, 1, padding=3, bias=False)
        self.cond = nn.Conv1d(gin_channels, upsample_initial_channel, 1)

    def store_weights_channels_last(self) -> None:
        """Give the resblocks' (folded) conv weights the memory order of a channels-last 2-D
        kernel, so the convolutions stop copying them on every call (~4% of the generator's time).
        Same shapes and values: ``weight`` stays (out, in, k), only its strides change."""
        for block in self.resblocks:
            for conv in block.modules():
                if isinstance(conv, nn.Conv1d) and "weight" in conv._parameters:
                    w = conv.weight.detach().unsqueeze(2).contiguous(memory_format=torch.channels_last).squeeze(2)
                    conv.weight = nn.Parameter(w, requires_grad=False)

    def forward(self, x: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        x = self.conv_pre(x) + self.cond(g)  # (B, U, T)
        nk = self.num_kernels
        for i, up in enumerate(self.ups):
            x = up(F.leaky_relu(x, LRELU_SLOPE))  # (B, U/2^(i+1), T * rate so far)
            x = x.unsqueeze(2).contiguous(memory_format=torch.channels_last)  # (B, C, 1, T') NHWC
            x_act = F.leaky_relu(x, LRELU_SLOPE)  # shared first activation of the parallel blocks
            xs = self.resblocks[i * nk](x, x_act)
            for j in range(1, nk):
                xs += self.resblocks[i * nk + j](x, x_act)
            x = xs.div_(nk).squeeze(2).contiguous()  # (B, C, T') back to NCW for the next (transposed) conv
        x = self.conv_post(F.leaky_relu(x, inplace=True))  # default slope 0.01, as upstream
        return torch.tanh_(x)  # (B, 1, samples)


# --------------------------------------------------------- reference encoder
class _Linear(nn.Module):
    """A Linear under attribute ``fc`` (upstream's LinearNorm key layout)."""

    def __init__(self, in_features: int, out_features: int):
        super().__init__()
        self.fc = nn.Linear(in_features, out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x)


class _Mish(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.tanh(F.softplus(x))


class _ConvGLU(nn.Module):
    """Residual gated conv; the conv sits at ``conv1.conv`` as in upstream's keys."""

    def __init__(self, channels: int, kernel_size: int):
        super().__init__()
        self.channels = channels
        self.conv1 = nn.Module()
        self.conv1.conv = nn.Conv1d(channels, 2 * channels, kernel_size, padding=(kernel_size - 1) // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a, b = torch.split(self.conv1.conv(x), self.channels, dim=1)  # (B, C, T) each
        return x + a * torch.sigmoid(b)


class _StyleAttention(nn.Module):
    """Self-attention with a residual (keys w_qs, w_ks, w_vs, fc)."""

    def __init__(self, n_head: int, d_model: int):
        super().__init__()
        self.n_head = n_head
        self.d_k = d_model // n_head
        self.temperature = math.sqrt(d_model)
        self.w_qs = nn.Linear(d_model, d_model)
        self.w_ks = nn.Linear(d_model, d_model)
        self.w_vs = nn.Linear(d_model, d_model)
        self.fc = nn.Linear(d_model, d_model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, _ = x.shape
        h, dk = self.n_head, self.d_k

        def heads(y: torch.Tensor) -> torch.Tensor:
            return y.view(b, t, h, dk).permute(2, 0, 1, 3).contiguous().view(-1, t, dk)  # (H*B, T, dk)

        q, k, v = heads(self.w_qs(x)), heads(self.w_ks(x)), heads(self.w_vs(x))
        attn = torch.softmax(torch.bmm(q, k.transpose(1, 2)) / self.temperature, dim=2)  # (H*B, T, T)
        out = torch.bmm(attn, v).view(h, b, t, dk).permute(1, 2, 0, 3).contiguous().view(b, t, -1)  # (B, T, D)
        return self.fc(out) + x


class MelStyleEncoder(nn.Module):
    """Reference encoder: spectrogram frames (B, bins, T) -> speaker embedding (B, out_dim, 1)."""

    def __init__(self, n_mel_channels: int, style_vector_dim: int, hidden: int = 128, kernel_size: int = 5,
                 n_head: int = 2):
        super().__init__()
        self.spectral = nn.Sequential(
            _Linear(n_mel_channels, hidden), _Mish(), nn.Identity(), _Linear(hidden, hidden), _Mish(), nn.Identity()
        )
        self.temporal = nn.Sequential(_ConvGLU(hidden, kernel_size), _ConvGLU(hidden, kernel_size))
        self.slf_attn = _StyleAttention(n_head, hidden)
        self.fc = _Linear(hidden, style_vector_dim)

    def forward(self, spec: torch.Tensor) -> torch.Tensor:
        x = self.spectral(spec.transpose(1, 2))  # (B, T, hidden)
        x = self.temporal(x.transpose(1, 2)).transpose(1, 2)  # (B, T, hidden)
        x = self.fc(self.slf_attn(x))  # (B, T, out)
        # upstream's masked mean: divide first, then sum (kept for identical rounding)
        w = (x.float() / x.size(1)).sum(dim=1).to(x.dtype)  # (B, out)
        return w.unsqueeze(-1)  # (B, out, 1)


# ---------------------------------------------------------------- quantizer
class _Codebook(nn.Module):
    """Euclidean codebook buffers as upstream stores them (only ``embed`` is used)."""

    def __init__(self, dim: int, bins: int):
        super().__init__()
        self.register_buffer("inited", torch.ones(1))
        self.register_buffer("cluster_size", torch.zeros(bins))
        self.register_buffer("embed", torch.zeros(bins, dim))
        self.register_buffer("embed_avg", torch.zeros(bins, dim))


class _VQLayer(nn.Module):
    def __init__(self, dim: int, bins: int):
        super().__init__()
        self._codebook = _Codebook(dim, bins)


class _VQStack(nn.Module):
    def __init__(self, dim: int, bins: int, n_q: int):
        super().__init__()
        self.layers = nn.ModuleList(_VQLayer(dim, bins) for _ in range(n_q))


class ResidualVectorQuantizer(nn.Module):
    """Semantic-token codebook (one level in GPT-SoVITS): features <-> codes."""

    def __init__(self, dim: int = 768, bins: int = 1024, n_q: int = 1):
        super().__init__()
        self.vq = _VQStack(dim, bins, n_q)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, D, T) -> codes (n_q, B, T), residual quantization by nearest codeword."""
        residual = x.transpose(1, 2)  # (B, T, D)
        codes = []
        for layer in self.vq.layers:
            embed = layer._codebook.embed  # (bins, D)
            flat = residual.reshape(-1, residual.size(-1))  # (B*T, D)
            et = embed.t()
            neg_dist = -(flat.pow(2).sum(1, keepdim=True) - 2 * flat @ et + et.pow(2).sum(0, keepdim=True))
            idx = neg_dist.max(dim=-1).indices.view(residual.shape[:-1])  # (B, T)
            residual = residual - F.embedding(idx, embed)
            codes.append(idx)
        return torch.stack(codes)

    def decode(self, codes: torch.Tensor) -> torch.Tensor:
        """codes (n_q, B, T) -> features (B, D, T)."""
        out = None
        for indices, layer in zip(codes, self.vq.layers):
            q = F.embedding(indices, layer._codebook.embed).transpose(1, 2)  # (B, D, T)
            out = q if out is None else out + q
        return out
