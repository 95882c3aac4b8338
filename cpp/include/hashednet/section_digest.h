// section_digest.h: a checksum of one section of an XML weight file, the same
// from C++ (TMVA's TXMLEngine) and from Python (ElementTree).
//
// What it is: XXH32 (seed 0, 8 hex digits) over a canonical walk of an XML
// subtree: for each element in document order its name, its attributes in
// file order (decoded values: no quoting or entity escaping), its text, and
// its end; in values and text, whitespace runs count as one blank and
// leading/trailing whitespace not at all (XML readers normalise attribute
// whitespace differently). Indentation, the quoting style and line breaks do
// not change it; any other changed character of a name, value or number
// does. Both writers of the TMVA weight file (cpp/tmva/MethodHashedDNN.cxx,
// tmva_hashednet/tmva/weights_xml.py) store the digest of <Transformations>
// as <Weights TransformationsChecksum="...">, and both readers check it
// (docs/weight_file.md, "Checksums").
// What it is not: an XML parser (the callers walk their own DOM) nor a
// signature (it detects damage, not tampering).
#ifndef HASHEDNET_SECTION_DIGEST_H
#define HASHEDNET_SECTION_DIGEST_H

#include <string>

namespace hashednet {

/// The <Weights> attribute that holds the digest of <Transformations>.
constexpr const char *kTransformationsChecksumAttribute = "TransformationsChecksum";

class SectionDigest {
public:
   void open(const std::string &element);
   void attribute(const std::string &name, const std::string &value);
   /// The element's text; leading/trailing whitespace and whitespace runs do not count, empty text adds nothing.
   void text(const std::string &content);
   void close();
   /// XXH32 of the walk so far, 8 lowercase hex digits.
   std::string hex() const;
   /// The canonical bytes (for tests and messages).
   const std::string &canonical() const { return canonical_; }

private:
   void token(char kind, const std::string &value);
   std::string canonical_;
};

} // namespace hashednet

#endif // HASHEDNET_SECTION_DIGEST_H
