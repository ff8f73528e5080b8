"""预警处置: the warnings of the supervisor's streets, taken into verification, disposed, closed."""
