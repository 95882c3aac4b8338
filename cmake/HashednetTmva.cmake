# The TMVA method is built only when ROOT's TMVA is found (HASHEDNET_TMVA=AUTO).
# ROOT from PyPI ships no TMVA, so on such a machine this says so and skips.
set(HASHEDNET_TMVA "AUTO" CACHE STRING "Build the TMVA method: AUTO, ON or OFF")
set_property(CACHE HASHEDNET_TMVA PROPERTY STRINGS AUTO ON OFF)
if(HASHEDNET_TMVA STREQUAL "OFF")
  message(STATUS "hashednet: TMVA method not built (HASHEDNET_TMVA=OFF)")
  return()
endif()
message(STATUS "hashednet: TMVA method not built: ROOT's TMVA was not searched for yet (issue 4)")
