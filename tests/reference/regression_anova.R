## Reference numbers for survey/design/anova.py and chisqsum.py (tests/test_anova.py):
## regTermTest(method = "LRT" / "WorkingWald"), anova() between nested svyglm fits,
## pchisqsum() and pFsum().
## Run from anywhere:  Rscript tests/reference/regression_anova.R
## Writes tests/reference/regression_anova.json.  R survey 4.1.1, jsonlite; data are
## the committed CSV copies of R's api data in tests/data.
suppressMessages({library(survey); library(jsonlite)})
args <- commandArgs(FALSE)
here <- dirname(normalizePath(sub("^--file=", "", grep("^--file=", args, value = TRUE))))
dat <- function(f) read.csv(file.path(here, "..", "data", f), stringsAsFactors = TRUE)
apistrat <- dat("apistrat.csv")
apiclus1 <- dat("apiclus1.csv")
dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, data = apistrat, fpc = ~fpc)
dclus1 <- svydesign(id = ~dnum, weights = ~pw, data = apiclus1, fpc = ~fpc)
tight <- glm.control(epsilon = 1e-15, maxit = 100)

lrt_out <- function(r) list(chisq = unname(drop(r$chisq)), df = r$df, ddf = r$ddf,
                            p = unname(drop(r$p)), lambda = unname(r$lambda))
wald_out <- function(r) {
  if (is.null(r$Ftest)) list(chisq = unname(drop(r$chisq)), df = r$df, p = unname(drop(r$p)))
  else list(F = unname(drop(r$Ftest)), df = r$df, ddf = r$ddf, p = unname(drop(r$p)))
}
ref <- list()

## ---- pchisqsum / pFsum on fixed coefficients ------------------------------------
a <- c(2, 1, 0.5)
ref$pchisqsum <- list(
  sad = pchisqsum(c(1, 5, 12), rep(1, 3), a, lower.tail = FALSE, method = "saddlepoint"),
  sat = pchisqsum(c(1, 5, 12), rep(1, 3), a, lower.tail = FALSE, method = "satterthwaite"),
  sad_lower = pchisqsum(5, rep(1, 3), a, lower.tail = TRUE, method = "saddlepoint"),
  F_sad = pFsum(5, rep(1, 3), a, ddf = 20, lower.tail = FALSE, method = "saddlepoint"),
  F_sat = pFsum(5, rep(1, 3), a, ddf = 20, lower.tail = FALSE, method = "satterthwaite"))

## ---- regTermTest(method = "LRT") ----------------------------------------------------
m_cat <- svyglm(api00 ~ ell + stype + ell:stype, design = dclus1)
ref$cat_lrt <- lrt_out(regTermTest(m_cat, ~stype + ell:stype, method = "LRT"))
ref$cat_lrt_chisq <- lrt_out(regTermTest(m_cat, ~stype + ell:stype, method = "LRT", df = Inf))
ref$cat_lrt_sat <- lrt_out(regTermTest(m_cat, ~stype + ell:stype, method = "LRT",
                                       lrt.approximation = "satterthwaite"))
ref$cat_ww <- lrt_out(regTermTest(m_cat, ~stype + ell:stype, method = "WorkingWald"))
ref$cat_interaction_lrt <- lrt_out(regTermTest(m_cat, ~ell:stype, method = "LRT"))
m_logit <- svyglm(sch.wide ~ ell + meals + mobility + stype, design = dclus1,
                  family = quasibinomial(), control = tight)
ref$logit_lrt_stype <- lrt_out(regTermTest(m_logit, ~stype, method = "LRT"))
ref$logit_lrt_one <- lrt_out(regTermTest(m_logit, ~meals, method = "LRT"))
ref$logit_lrt_two <- lrt_out(regTermTest(m_logit, ~ell + mobility, method = "LRT"))
m_off <- svyglm(api.stu ~ meals + stype + offset(log(enroll)), design = dstrat,
                family = quasipoisson(), control = tight)
ref$offset_lrt <- lrt_out(regTermTest(m_off, ~stype, method = "LRT"))
rclus1 <- as.svrepdesign(dclus1, type = "JK1")
m_rep <- svyglm(api00 ~ ell + meals + stype, design = rclus1)
ref$jk1_lrt <- lrt_out(regTermTest(m_rep, ~stype, method = "LRT"))

## ---- anova between nested models, and sequential ------------------------------------
m1 <- svyglm(api00 ~ ell + meals, design = dstrat)
m2 <- svyglm(api00 ~ ell + meals + mobility + stype, design = dstrat)
ref$anova_F_lrt <- lrt_out(anova(m1, m2))
ref$anova_chisq_lrt <- lrt_out(anova(m2, m1, test = "Chisq"))
ref$anova_F_wald <- wald_out(anova(m1, m2, method = "Wald"))
seq <- anova(m2)
ref$anova_sequential <- lapply(seq, lrt_out)

writeLines(toJSON(ref, digits = NA, auto_unbox = TRUE, pretty = TRUE),
           file.path(here, "regression_anova.json"))
