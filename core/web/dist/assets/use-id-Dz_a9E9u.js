import{K as e}from"./index-DAJB3JEZ.js";let r=0;function u(){const n=e(),{name:t="unknown"}=n?.type||{};return`${t}-${++r}`}export{u};
