// LinkDef.h: the dictionary of libTMVAHashedDNN. ROOT's plugin manager finds
// the method's constructors through cling (TClass::GetMethodWithPrototype),
// so the class must be known to the interpreter.
#if defined(__CLING__) || defined(__CINT__) || defined(__MAKECINT__)
#pragma link off all globals;
#pragma link off all classes;
#pragma link off all functions;
#pragma link C++ class TMVA::MethodHashedDNN+;
#endif
