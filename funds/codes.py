from django.db import models


# 资金来源级次 (docs/domain.md §11.1).
class FundLevel(models.TextChoices):
    CENTRAL = "1", "中央"
    PROVINCIAL = "2", "省级"
    MUNICIPAL = "3", "市级"
    COUNTY = "4", "县级"
