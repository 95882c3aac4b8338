// section_digest.cpp: see section_digest.h.
#include "hashednet/section_digest.h"

#include "hashednet/serialize.h"

#include <cstdio>

namespace hashednet {

namespace {
bool is_space(char c)
{
   return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

std::string collapsed(const std::string &text)
{
   std::string out;
   bool pending_space = false;
   for (char c : text) {
      if (is_space(c)) {
         pending_space = !out.empty();
         continue;
      }
      if (pending_space)
         out += ' ';
      pending_space = false;
      out += c;
   }
   return out;
}
} // namespace

void SectionDigest::token(char kind, const std::string &value)
{
   canonical_ += kind;
   canonical_ += std::to_string(value.size());
   canonical_ += ':';
   canonical_ += value;
}

void SectionDigest::open(const std::string &element)
{
   token('E', element);
}

void SectionDigest::attribute(const std::string &name, const std::string &value)
{
   token('A', name);
   token('=', collapsed(value));
}

void SectionDigest::text(const std::string &content)
{
   const std::string words = collapsed(content);
   if (!words.empty())
      token('T', words);
}

void SectionDigest::close()
{
   canonical_ += '/';
}

std::string SectionDigest::hex() const
{
   char digits[9];
   std::snprintf(digits, sizeof digits, "%08x", xxh32_bytes(canonical_.data(), canonical_.size(), 0));
   return digits;
}

} // namespace hashednet
