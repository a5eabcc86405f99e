//===- HeadMaps.cpp - each attention layer's F/L heads, shown -------------===//

#include "HeadMaps.h"
#include "JsonText.h"

#include <algorithm>
#include <sstream>

namespace fb = hydra_artifact;
using namespace hydra::inspect;

namespace {

size_t count(const flatbuffers::String &heads, char kind) {
  return size_t(std::count(heads.begin(), heads.end(), kind));
}

/// The kv heads that `kind` heads read (the KV cache covers the F ones'),
/// 0 when the layer's kv heads are not known.
size_t kvHeadsOf(const fb::AttentionLayer &l, char kind) {
  if (l.kv_heads() == 0)
    return 0;
  size_t group = l.heads()->size() / l.kv_heads(), n = 0;
  for (size_t g = 0; g < l.kv_heads(); ++g)
    for (size_t h = g * group; h < (g + 1) * group; ++h)
      if (l.heads()->Get(h) == kind) {
        ++n;
        break;
      }
  return n;
}

std::string str(const flatbuffers::String *s) { return s ? s->str() : ""; }

std::string xmlEscape(const std::string &s) {
  std::string out;
  for (char c : s) {
    switch (c) {
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '&':
      out += "&amp;";
      break;
    case '"':
      out += "&quot;";
      break;
    default:
      // XML 1.0 allows no control characters but tab, newline, return.
      out += static_cast<unsigned char>(c) < 0x20 ? '?' : c;
    }
  }
  return out;
}

} // namespace

std::string hydra::inspect::headMapsText(const fb::Function &f) {
  if (!f.attention_layers() || f.attention_layers()->size() == 0)
    return "";
  std::ostringstream os;
  size_t fullHeads = 0, heads = 0;
  for (const fb::AttentionLayer *l : *f.attention_layers()) {
    fullHeads += count(*l->heads(), 'F');
    heads += l->heads()->size();
  }
  os << "  attention layers: " << f.attention_layers()->size() << ", "
     << fullHeads << " of " << heads << " query heads full (F), "
     << heads - fullHeads << " linear (L)\n";
  for (size_t i = 0; i < f.attention_layers()->size(); ++i) {
    const fb::AttentionLayer *l = f.attention_layers()->Get(i);
    os << "    layer " << i;
    if (l->name() && l->name()->size())
      os << " '" << l->name()->str() << "'";
    os << ": " << l->heads()->str() << "  " << count(*l->heads(), 'L')
       << " L : " << count(*l->heads(), 'F') << " F";
    if (l->kv_heads())
      os << ", " << l->kv_heads() << " kv heads (KV cache "
         << kvHeadsOf(*l, 'F') << ", states " << kvHeadsOf(*l, 'L') << ")";
    if (l->head_dim())
      os << ", Dk " << l->head_dim();
    if (l->value_dim())
      os << ", Dv " << l->value_dim();
    if (l->update_rule() && l->update_rule()->size())
      os << ", " << l->update_rule()->str();
    if (l->causal())
      os << ", causal";
    os << "\n";
  }
  return os.str();
}

std::string hydra::inspect::headMapsJson(const fb::Function &f) {
  std::ostringstream os;
  os << "[";
  if (f.attention_layers())
    for (size_t i = 0; i < f.attention_layers()->size(); ++i) {
      const fb::AttentionLayer *l = f.attention_layers()->Get(i);
      os << (i ? ", " : "") << "{\"name\": " << jsonQuote(str(l->name()))
         << ", \"heads\": " << jsonQuote(l->heads()->str())
         << ", \"kv_heads\": " << l->kv_heads()
         << ", \"cache_kv_heads\": " << kvHeadsOf(*l, 'F')
         << ", \"state_kv_heads\": " << kvHeadsOf(*l, 'L')
         << ", \"head_dim\": " << l->head_dim()
         << ", \"value_dim\": " << l->value_dim()
         << ", \"update_rule\": " << jsonQuote(str(l->update_rule()))
         << ", \"causal\": " << (l->causal() ? "true" : "false") << "}";
    }
  os << "]";
  return os.str();
}

std::string hydra::inspect::headMapsSvg(const fb::Module &m) {
  constexpr int kCell = 14, kGap = 4, kLabel = 220, kMargin = 12, kRow = 18;
  constexpr const char *kFull = "#d1495b", *kLinear = "#2e86ab";
  size_t maxHeads = 1, rows = 0;
  for (const fb::Function *f : *m.functions())
    if (f->attention_layers()) {
      rows += f->attention_layers()->size() + 1; // a title row a function
      for (const fb::AttentionLayer *l : *f->attention_layers())
        maxHeads = std::max<size_t>(maxHeads, l->heads()->size());
    }
  // Room for a gap between kv-head groups (at most one a head).
  int width =
      std::max(560, kMargin * 2 + kLabel + int(maxHeads) * (kCell + kGap));
  int height = kMargin * 2 + int(rows + 2) * kRow;
  std::ostringstream os;
  os << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width
     << "\" height=\"" << height << "\" font-family=\"sans-serif\" "
     << "font-size=\"11\">\n"
     << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  int y = kMargin;
  // The legend.
  os << "<rect x=\"" << kMargin << "\" y=\"" << y << "\" width=\"" << kCell
     << "\" height=\"" << kCell << "\" fill=\"" << kFull << "\"/>"
     << "<text x=\"" << kMargin + kCell + 4 << "\" y=\"" << y + 11
     << "\">F: full (softmax) attention, KV cached</text>\n"
     << "<rect x=\"" << kMargin + 240 << "\" y=\"" << y << "\" width=\""
     << kCell << "\" height=\"" << kCell << "\" fill=\"" << kLinear << "\"/>"
     << "<text x=\"" << kMargin + 240 + kCell + 4 << "\" y=\"" << y + 11
     << "\">L: linear attention, a state</text>\n";
  y += 2 * kRow;
  for (const fb::Function *f : *m.functions()) {
    if (!f->attention_layers() || f->attention_layers()->size() == 0)
      continue;
    os << "<text x=\"" << kMargin << "\" y=\"" << y + 11
       << "\" font-weight=\"bold\">function " << xmlEscape(f->name()->str())
       << "</text>\n";
    y += kRow;
    for (size_t i = 0; i < f->attention_layers()->size(); ++i) {
      const fb::AttentionLayer *l = f->attention_layers()->Get(i);
      std::string label = "layer " + std::to_string(i);
      if (l->name() && l->name()->size())
        label += " " + l->name()->str().substr(0, 28);
      os << "<text x=\"" << kMargin << "\" y=\"" << y + 11 << "\">"
         << xmlEscape(label) << "</text>";
      size_t group = l->kv_heads() ? l->heads()->size() / l->kv_heads() : 0;
      int x = kMargin + kLabel;
      for (size_t h = 0; h < l->heads()->size(); ++h) {
        if (group && h && h % group == 0)
          x += kGap;
        bool full = l->heads()->Get(h) == 'F';
        os << "<rect x=\"" << x << "\" y=\"" << y << "\" width=\"" << kCell
           << "\" height=\"" << kCell << "\" fill=\""
           << (full ? kFull : kLinear) << "\"><title>head " << h << ": "
           << (full ? "F" : "L") << "</title></rect>";
        x += kCell;
      }
      os << "\n";
      y += kRow;
    }
  }
  os << "</svg>\n";
  return os.str();
}
